// The payment page: mounts Stripe's Payment Element and confirms the payment.
// Card details go from this page to Stripe (or the offline stand-in), never to our server.
//
// The Elements group is made without a PaymentIntent (Stripe's "collect payment details
// before creating an Intent": mode, amount, currency), so one card form can confirm one
// PaymentIntent after another. Each attempt has its own PaymentIntent, made by our server:
// the page's first, then after a decline a new one from data-next-attempt-url, while the
// card form keeps what the traveller typed and they can correct one field and pay again.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || form.dataset.ready) return;
  form.dataset.ready = "1";
  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");
  var loading = document.getElementById("payment-loading");
  var notice = document.getElementById("payment-notice");
  if (loading) loading.hidden = false;
  var label = button.textContent;
  var busy = false;
  var NOT_CHARGED = "Your payment did not go through. You have not been charged.";
  // The PaymentIntent the next press of Pay confirms; null when our server has not given one
  // yet since the last decline (Pay then asks for it first).
  var attempt = { id: form.dataset.paymentIntent, clientSecret: form.dataset.clientSecret };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function post(url, body, keepalive) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    });
  }

  function ready() {
    busy = false;
    button.disabled = false;
    button.textContent = label;
  }

  function lastFailure() {  // looked up each time: a new notice replaces it
    return document.getElementById("last-failure");
  }

  // Our server's answer for the next attempt: the notice it renders (the decline, what to do
  // next, attempts left, or why paying has stopped) and the PaymentIntent to confirm next.
  // Resolves to that attempt, or null when there is none (the page says why); rejects when
  // there is none for now (noticeShown: our server said why in the notice).
  function nextAttempt() {
    return post(form.dataset.nextAttemptUrl).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        var shown = false;
        if (notice && typeof body.notice === "string") {
          notice.innerHTML = body.notice;
          if (window.htmx) window.htmx.process(notice);  // its "Change fare or extras" form, boosted like the rest
          shown = true;
        }
        if (response.ok && body.clientSecret) {
          attempt = { id: body.paymentIntentId, clientSecret: body.clientSecret };
          return attempt;
        }
        var error = body.error || {};
        if (error.code === "already_paid") {  // paid meanwhile (another tab): the page shows the booking
          window.location.reload();
          return null;
        }
        if (response.status === 409) {  // the hold ran out or the attempts are used up: nothing to pay with
          message.textContent = "";
          form.hidden = true;
          return null;
        }
        var problem = new Error(error.message || "no next attempt");
        problem.noticeShown = shown;  // Stripe unreachable, say: Pay asks again
        throw problem;
      });
    });
  }

  function start() {
    var stripe = window.Stripe(form.dataset.publishableKey);
    var elements = stripe.elements({
      mode: "payment", amount: Number(form.dataset.amount), currency: form.dataset.currency,
      paymentMethodTypes: ["card"]  // as our PaymentIntents allow (gateway.create_payment_intent)
    });
    var element = elements.create("payment");
    element.on("ready", function () { if (loading) loading.hidden = true; });
    element.mount("#payment-element");
    button.disabled = false;

    function invalid(error) {  // nothing was sent: the card form marks the field to fix
      message.textContent = error.message || "";
      var failure = lastFailure();
      if (failure) failure.hidden = false;
      ready();
    }

    // After a decline: record it on our side (as the return URL would), then the next attempt.
    function declined(error, paidWith) {
      message.textContent = error.message || NOT_CHARGED;
      attempt = null;
      post(form.dataset.confirmUrl, {
        bookingReference: form.dataset.bookingReference, paymentIntentId: paidWith.id,
        clientSecret: paidWith.clientSecret  // proves this page may ask about the payment
      }).catch(function () {}).then(nextAttempt).then(function (next) {
        if (!next) return;
        // The notice now tells the decline in full; a connection problem stays beside Pay.
        if (error.type === "card_error") message.textContent = "";
        ready();
      }, function (problem) {
        if (!(problem && problem.noticeShown)) {
          message.textContent = (error.message || NOT_CHARGED) + " Check your connection, then press Pay to try again.";
        } else if (error.type === "card_error") {
          message.textContent = "";
        }
        ready();  // Pay asks for the next attempt again
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;  // one click, one payment
      busy = true;
      button.disabled = true;
      button.textContent = "Processing…";
      message.textContent = "";
      // The previous attempt's decline is history once Pay is pressed again.
      var failure = lastFailure();
      if (failure) failure.hidden = true;
      // Stripe wants submit() first, before any other asynchronous work.
      elements.submit().then(function (submitted) {
        if (submitted.error) return invalid(submitted.error);
        return (attempt ? Promise.resolve(attempt) : nextAttempt()).then(function (paying) {
          if (!paying) return;
          // Tell our server Pay was pressed: the dashboard's payment time starts here. The
          // payment never waits for it; keepalive lets it finish if the page navigates away.
          post(form.dataset.payStartedUrl, { paymentIntentId: paying.id }, true).catch(function () {});
          return stripe.confirmPayment({
            elements: elements, clientSecret: paying.clientSecret,
            confirmParams: { return_url: form.dataset.returnUrl }
          }).then(function (result) {
            if (!result || !result.error) return;  // Stripe is taking the browser to the return URL
            if (result.error.type === "validation_error") return invalid(result.error);
            declined(result.error, paying);
          });
        });
      }).catch(function (problem) {
        message.textContent = problem && problem.noticeShown ? "" : "We couldn't start the payment. " +
          "You have not been charged. Check your connection, then press Pay to try again.";
        ready();
      });
    });
  }

  // Stripe.js loads from its own script tag; wait for it (up to 15 s).
  var waited = 0;
  (function whenStripeReady() {
    if (window.Stripe) return start();
    waited += 100;
    if (waited > 15000) {
      if (loading) loading.hidden = true;
      message.textContent = "The secure card form could not load. Check your connection and reload the page.";
      return;
    }
    setTimeout(whenStripeReady, 100);
  })();
})();
