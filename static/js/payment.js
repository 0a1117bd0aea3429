// The payment page: mounts Stripe's Payment Element and confirms the payment.
// Card details go from this page to Stripe (or the offline stand-in), never to our server.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || form.dataset.ready) return;
  form.dataset.ready = "1";
  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");
  var loading = document.getElementById("payment-loading");
  var lastFailure = document.getElementById("last-failure");
  if (loading) loading.hidden = false;
  var label = button.textContent;
  var busy = false;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function start() {
    var stripe = window.Stripe(form.dataset.publishableKey);
    var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
    var element = elements.create("payment");
    element.on("ready", function () { if (loading) loading.hidden = true; });
    element.mount("#payment-element");
    button.disabled = false;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;  // one click, one payment
      busy = true;
      button.disabled = true;
      button.textContent = "Processing…";
      message.textContent = "";
      // The previous attempt's decline is history once Pay is pressed again.
      if (lastFailure) lastFailure.hidden = true;
      // Tell our server Pay was pressed: the dashboard's payment time starts here. The
      // payment never waits for it; keepalive lets it finish if the page navigates away.
      fetch(form.dataset.payStartedUrl, {
        method: "POST", credentials: "same-origin", keepalive: true,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ paymentIntentId: form.dataset.paymentIntent })
      }).catch(function () {});
      stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
        .then(function (result) {
          if (!result || !result.error) return;  // Stripe is taking the browser to the return URL
          var error = result.error;
          message.textContent = error.message || "Your payment did not go through. You have not been charged.";
          if (error.type === "validation_error") {  // nothing was sent: let them fix the card details
            busy = false;
            button.disabled = false;
            button.textContent = label;
            return;
          }
          // Record the failed attempt on our side, then show the page again with a fresh attempt.
          fetch(form.dataset.confirmUrl, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
            // The client secret proves this page may ask about the payment.
            body: JSON.stringify({ bookingReference: form.dataset.bookingReference,
                                   paymentIntentId: form.dataset.paymentIntent,
                                   clientSecret: form.dataset.clientSecret })
          }).catch(function () {}).then(function () { window.location.reload(); });
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
