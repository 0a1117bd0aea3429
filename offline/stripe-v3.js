var CONFIG = {"api": "__LOCALSTRIPE_URL__", "attach": "__ATTACH_URL__"};
/*
 * Offline stand-in for Stripe.js v3 (https://js.stripe.com/v3/), for demos and tests
 * against localstripe. Served instead of the real script only when STRIPE_JS_URL points
 * at it, so the checkout page's code is the same online and offline. The server replaces
 * the two placeholders in the first line: "api" is localstripe's base URL, "attach" is
 * Fly2Any's same-origin endpoint that attaches a card token to the PaymentIntent.
 *
 * Surface (same as Stripe.js, reduced to what the page uses): the Payment Element made
 * without a PaymentIntent, as in Stripe's "collect payment details before creating an
 * Intent", so one card form confirms one PaymentIntent after another and keeps what was
 * typed after a decline.
 *   var stripe = Stripe(publishableKey);
 *   var elements = stripe.elements({mode: "payment", amount: 59999, currency: "usd",
 *                                   paymentMethodTypes: ["card"], appearance: {...}});
 *   var payment = elements.create("payment"); payment.mount("#payment-element");
 *   payment.on("ready" | "change" | "focus" | "blur", cb); payment.unmount();
 *   elements.submit() -> Promise<{}> | Promise<{error}>  (checks the card form; needed before
 *     every confirmPayment, as on Stripe)
 *   stripe.confirmPayment({elements, clientSecret, confirmParams: {return_url},
 *                          redirect: "always" | "if_required"})
 *     -> Promise<{error}> | Promise<{paymentIntent}> (redirect "if_required") | navigation to
 *        return_url?payment_intent=...&payment_intent_client_secret=...&redirect_status=...
 * Anything else Stripe.js would accept (elements({clientSecret}), other modes or payment
 * method types) throws an IntegrationError here, so the page cannot come to rely on it.
 *
 * Card data flow: the card (and the postal code, if given) goes from this script straight to
 * localstripe's /v1/tokens (with the publishable key), never to Fly2Any. Fly2Any receives
 * only the token id:
 *   POST CONFIG.attach  JSON {paymentIntentId, clientSecret, token}
 *   headers X-CSRFToken (from <meta name="csrf-token">), Content-Type: application/json
 *   -> 200 {status: "succeeded" | "processing" | "requires_action" | "requires_payment_method",
 *           error?: {type, code, decline_code, message}}
 * On requires_action a 3-D Secure test challenge is shown; its buttons call localstripe's
 * POST /v1/payment_intents/{id}/_authenticate?success=true|false (key + client_secret).
 *
 * The inputs have no name attribute, so no form submission or HTMX request can carry them.
 */
(function () {
  "use strict";

  var AUTH_FAILED_MESSAGE = "We are unable to authenticate your payment method. " +
    "Please choose a different payment method and try again.";
  var GENERIC_DECLINE = "Your card was declined.";
  var CONNECTION_MESSAGE = "We could not reach the payment service. Check your connection and try again.";
  var uid = 0;

  function configured() {
    return CONFIG && typeof CONFIG.api === "string" && CONFIG.api.indexOf("__") !== 0 &&
      typeof CONFIG.attach === "string" && CONFIG.attach.indexOf("__") !== 0;
  }

  function apiBase() {
    return CONFIG.api.replace(/\/+$/, "");
  }

  function stripeError(type, code, message, declineCode) {
    var error = {type: type, code: code, message: message};
    if (declineCode) { error.decline_code = declineCode; }
    return error;
  }

  // What Stripe.js throws when the page uses it wrongly (not a problem with the card).
  function integrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  function validationError(code, message) {
    return stripeError("validation_error", code, message);
  }

  function digits(value) {
    return String(value || "").replace(/\D/g, "");
  }

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = Number(number.charAt(number.length - 1 - i));
      if (i % 2 === 1) { d = d * 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function formEncode(fields) {
    var parts = [];
    Object.keys(fields).forEach(function (k) {
      parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(fields[k]));
    });
    return parts.join("&");
  }

  function readJson(response) {
    return response.text().then(function (text) {
      var body = null;
      try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
      return {ok: response.ok, status: response.status, body: body};
    });
  }

  // A simple (non-preflighted) cross-origin POST to localstripe.
  function postToApi(path, fields) {
    return fetch(apiBase() + path, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: formEncode(fields)
    }).then(readJson);
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  // Stripe's error object from localstripe's or Fly2Any's answer.
  function normaliseError(error, fallbackType) {
    error = error || {};
    var type = error.type;
    if (type !== "card_error" && type !== "validation_error" && type !== "api_error") {
      type = fallbackType;
    }
    var out = stripeError(type, error.code || undefined,
      error.message || (type === "card_error" ? GENERIC_DECLINE : "Something went wrong. Please try again."),
      error.decline_code);
    if (error.param) { out.param = error.param; }
    return out;
  }

  function paymentIntentIdFrom(clientSecret) {
    var i = String(clientSecret || "").indexOf("_secret_");
    return i > 0 ? clientSecret.slice(0, i) : null;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "style") { node.style.cssText = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    if (text) { node.textContent = text; }
    return node;
  }

  /* ---------------------------------------------------------------- Payment Element */

  function PaymentElement(elements, type) {
    this._elements = elements;
    this._type = type;
    this._handlers = {};
    this._root = null;
    this._inputs = null;
  }

  PaymentElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  PaymentElement.prototype.off = function (event, handler) {
    var list = this._handlers[event] || [];
    this._handlers[event] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };

  PaymentElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).slice().forEach(function (h) {
      try { h(payload); } catch (e) { setTimeout(function () { throw e; }); }
    });
  };

  PaymentElement.prototype.update = function () { return this; };
  PaymentElement.prototype.focus = function () { if (this._inputs) { this._inputs.number.focus(); } };
  PaymentElement.prototype.blur = function () {
    if (this._root && this._root.contains(document.activeElement)) { document.activeElement.blur(); }
  };
  PaymentElement.prototype.clear = function () {
    if (!this._inputs) { return; }
    this._inputs.number.value = ""; this._inputs.expiry.value = ""; this._inputs.cvc.value = "";
    this._inputs.postal.value = "";
    this._showError(null);
  };
  PaymentElement.prototype.destroy = function () { this.unmount(); this._elements._element = null; };

  PaymentElement.prototype.mount = function (target) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container || !container.appendChild) {
      throw new Error("Offline Stripe: mount target not found: " + target);
    }
    if (this._root) { this.unmount(); }
    var self = this;
    var id = "offline-stripe-" + (++uid);
    var label = "display:block;font-size:0.9em;margin:0 0 0.25em;";
    var input = "display:block;width:100%;box-sizing:border-box;padding:0.5em;font:inherit;" +
      "border:1px solid #8a8f98;border-radius:4px;";

    var root = el("div", {"class": "offline-stripe-element", "data-offline-stripe": "payment",
      style: "font:inherit;"});
    root.appendChild(el("p", {"class": "offline-stripe-note",
      style: "margin:0 0 0.75em;font-size:0.85em;color:#5b6170;"},
      "Offline test mode: no real card is charged"));

    function field(name, text, attrs, wrapperStyle) {
      var wrap = el("div", {"class": "offline-stripe-field", style: wrapperStyle || "margin:0 0 0.75em;"});
      var inputId = id + "-" + name;
      wrap.appendChild(el("label", {"for": inputId, style: label}, text));
      attrs.id = inputId;
      attrs.type = "text";
      attrs.style = input;
      attrs.spellcheck = "false";
      var node = el("input", attrs);
      wrap.appendChild(node);
      return {wrap: wrap, input: node};
    }

    var number = field("number", "Card number", {inputmode: "numeric", autocomplete: "cc-number",
      placeholder: "1234 1234 1234 1234", maxlength: "23"});
    var row = el("div", {style: "display:flex;gap:0.75em;"});
    var expiry = field("expiry", "Expiration date", {inputmode: "numeric", autocomplete: "cc-exp",
      placeholder: "MM / YY", maxlength: "7"}, "flex:1;margin:0 0 0.75em;");
    var cvc = field("cvc", "Security code", {inputmode: "numeric", autocomplete: "cc-csc",
      placeholder: "CVC", maxlength: "4"}, "flex:1;margin:0 0 0.75em;");
    // Optional here (Stripe asks for it by the card's country): pages and tests that give only
    // number, expiry and security code still pay.
    var postal = field("postal", "Postal code", {autocomplete: "postal-code", maxlength: "10"});
    var errorBox = el("div", {"class": "offline-stripe-error", role: "alert", id: id + "-error",
      style: "color:#b42318;font-size:0.9em;min-height:1.2em;"});

    root.appendChild(number.wrap);
    row.appendChild(expiry.wrap);
    row.appendChild(cvc.wrap);
    root.appendChild(row);
    root.appendChild(postal.wrap);
    root.appendChild(errorBox);

    number.input.addEventListener("input", function () {
      var d = digits(number.input.value).slice(0, 19);
      number.input.value = d.replace(/(\d{4})(?=\d)/g, "$1 ");
    });
    expiry.input.addEventListener("input", function (e) {
      var d = digits(expiry.input.value).slice(0, 4);
      var deleting = e && e.inputType && e.inputType.indexOf("delete") === 0;
      if (d.length === 1 && Number(d) > 1) { d = "0" + d; }
      expiry.input.value = d.length > 2 || (d.length === 2 && !deleting) ?
        d.slice(0, 2) + " / " + d.slice(2) : d;
    });
    cvc.input.addEventListener("input", function () {
      cvc.input.value = digits(cvc.input.value).slice(0, 4);
    });

    [number.input, expiry.input, cvc.input, postal.input].forEach(function (node) {
      node.addEventListener("input", function () {
        self._showError(null);
        self._emit("change", self._changeEvent());
      });
      node.addEventListener("focus", function () { self._emit("focus", {elementType: self._type}); });
      node.addEventListener("blur", function () { self._emit("blur", {elementType: self._type}); });
    });

    container.appendChild(root);
    this._root = root;
    this._inputs = {number: number.input, expiry: expiry.input, cvc: cvc.input, postal: postal.input,
      error: errorBox};
    setTimeout(function () { self._emit("ready", {elementType: self._type}); }, 0);
    return this;
  };

  PaymentElement.prototype.unmount = function () {
    if (this._root && this._root.parentNode) { this._root.parentNode.removeChild(this._root); }
    this._root = null;
    this._inputs = null;
    return this;
  };

  PaymentElement.prototype._changeEvent = function () {
    var empty = !this._inputs || (!this._inputs.number.value && !this._inputs.expiry.value &&
      !this._inputs.cvc.value);
    return {elementType: this._type, empty: empty, complete: !this._validate().error,
      collapsed: false, value: {type: "card"}};
  };

  PaymentElement.prototype._showError = function (error) {
    if (!this._inputs) { return; }
    this._inputs.error.textContent = error ? error.message : "";
    var invalid = error && error.param;
    var map = {number: this._inputs.number, exp: this._inputs.expiry, cvc: this._inputs.cvc};
    Object.keys(map).forEach(function (k) {
      if (invalid === k) { map[k].setAttribute("aria-invalid", "true"); }
      else { map[k].removeAttribute("aria-invalid"); }
    });
  };

  // Client-side checks with Stripe.js's own words. Returns {card} or {error}.
  PaymentElement.prototype._validate = function () {
    if (!this._inputs) {
      return {error: stripeError("validation_error", "element_not_mounted",
        "The payment form is not on the page.")};
    }
    var number = digits(this._inputs.number.value);
    var exp = digits(this._inputs.expiry.value);
    var cvc = digits(this._inputs.cvc.value);
    var err;
    if (number.length < 13) {
      err = validationError("incomplete_number", "Your card number is incomplete."); err.param = "number";
      return {error: err};
    }
    if (!luhn(number)) {
      err = validationError("invalid_number", "Your card number is invalid."); err.param = "number";
      return {error: err};
    }
    if (exp.length < 4) {
      err = validationError("incomplete_expiry", "Your card's expiration date is incomplete."); err.param = "exp";
      return {error: err};
    }
    var month = Number(exp.slice(0, 2));
    var year = 2000 + Number(exp.slice(2, 4));
    var now = new Date();
    if (month < 1 || month > 12) {
      err = validationError("invalid_expiry_month", "Your card's expiration date is invalid."); err.param = "exp";
      return {error: err};
    }
    if (year < now.getFullYear()) {
      err = validationError("invalid_expiry_year_past", "Your card's expiration year is in the past.");
      err.param = "exp";
      return {error: err};
    }
    if (year === now.getFullYear() && month < now.getMonth() + 1) {
      err = validationError("invalid_expiry_month_past", "Your card's expiration date is in the past.");
      err.param = "exp";
      return {error: err};
    }
    if (cvc.length < 3) {
      err = validationError("incomplete_cvc", "Your card's security code is incomplete."); err.param = "cvc";
      return {error: err};
    }
    var card = {number: number, exp_month: String(month), exp_year: String(year), cvc: cvc};
    var zip = this._inputs.postal.value.trim();
    if (zip) { card.address_zip = zip; }
    return {card: card};
  };

  /* ---------------------------------------------------------------- Elements */

  function Elements(stripe, options) {
    options = options || {};
    if (options.clientSecret !== undefined) {
      throw integrationError("Offline Stripe supports only elements made without an Intent " +
        "({mode: \"payment\", amount, currency}); pass the client secret to confirmPayment.");
    }
    if (options.mode !== "payment") {
      throw integrationError("Offline Stripe: elements() needs mode: \"payment\".");
    }
    if (typeof options.amount !== "number" || options.amount % 1 !== 0 || options.amount <= 0) {
      throw integrationError("Offline Stripe: elements() needs amount, a positive integer in minor units.");
    }
    if (typeof options.currency !== "string" || !/^[a-z]{3}$/.test(options.currency)) {
      throw integrationError("Offline Stripe: elements() needs currency, a three-letter ISO code in lower case.");
    }
    var types = options.paymentMethodTypes;
    if (types !== undefined && !(Array.isArray(types) && types.length === 1 && types[0] === "card")) {
      throw integrationError("Offline Stripe supports only paymentMethodTypes: [\"card\"].");
    }
    this._stripe = stripe;
    this._options = options;
    this._element = null;
    this._submitted = false;
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "payment" && type !== "card") {
      throw new Error("Offline Stripe supports only the \"payment\" element, not \"" + type + "\".");
    }
    if (this._element) { throw new Error("Offline Stripe: only one payment element per elements group."); }
    this._element = new PaymentElement(this, type, options);
    return this._element;
  };

  Elements.prototype.getElement = function (type) {
    return this._element && (type === undefined || type === this._element._type) ? this._element : null;
  };

  Elements.prototype.update = function (options) {
    Object.keys(options || {}).forEach(function (k) { this._options[k] = options[k]; }, this);
  };

  Elements.prototype.fetchUpdates = function () { return Promise.resolve({}); };

  // Checks the card form, as Stripe's does before each confirmation; confirmPayment then
  // refuses to run without it (one submit, one confirmPayment).
  Elements.prototype.submit = function () {
    var element = this._element;
    this._submitted = false;
    if (!element) {
      return Promise.resolve({error: validationError("element_not_mounted", "The payment form is not on the page.")});
    }
    var checked = element._validate();
    element._showError(checked.error || null);
    this._submitted = !checked.error;
    return Promise.resolve(checked.error ? {error: checked.error} : {});
  };

  /* ---------------------------------------------------------------- 3-D Secure challenge */

  function challenge(paymentIntentId, clientSecret, publishableKey) {
    return new Promise(function (resolve) {
      var previousFocus = document.activeElement;
      var overlay = el("div", {"class": "offline-stripe-3ds-overlay",
        style: "position:fixed;inset:0;background:rgba(15,23,42,0.55);display:flex;" +
          "align-items:center;justify-content:center;z-index:2147483647;"});
      var titleId = "offline-stripe-3ds-title-" + (++uid);
      var textId = titleId + "-text";
      var dialog = el("div", {role: "dialog", "aria-modal": "true", "aria-labelledby": titleId,
        "aria-describedby": textId, "class": "offline-stripe-3ds",
        style: "background:#fff;color:#1a1f36;max-width:26em;width:90%;padding:1.5em;border-radius:8px;" +
          "box-shadow:0 10px 30px rgba(0,0,0,0.3);font:16px/1.4 system-ui,sans-serif;"});
      dialog.appendChild(el("h2", {id: titleId, style: "margin:0 0 0.5em;font-size:1.25em;"},
        "3D Secure 2 Test Page"));
      dialog.appendChild(el("p", {id: textId, style: "margin:0 0 1em;"},
        "Offline test mode: this stands in for your bank's 3D Secure check. " +
        "Complete or fail the authentication of this test payment. No real card is charged."));
      var status = el("p", {role: "status", style: "margin:0 0 1em;min-height:1.2em;color:#5b6170;"});
      var buttons = el("div", {style: "display:flex;gap:0.75em;flex-wrap:wrap;"});
      var complete = el("button", {type: "button",
        style: "padding:0.6em 1em;border:0;border-radius:4px;background:#0a7c42;color:#fff;font:inherit;cursor:pointer;"},
        "Complete authentication");
      var fail = el("button", {type: "button",
        style: "padding:0.6em 1em;border:1px solid #b42318;border-radius:4px;background:#fff;color:#b42318;" +
          "font:inherit;cursor:pointer;"},
        "Fail authentication");
      buttons.appendChild(complete);
      buttons.appendChild(fail);
      dialog.appendChild(status);
      dialog.appendChild(buttons);
      overlay.appendChild(dialog);
      document.body.appendChild(overlay);
      complete.focus();

      // Keep keyboard focus inside the dialog.
      overlay.addEventListener("keydown", function (e) {
        if (e.key !== "Tab") { return; }
        var first = complete, last = fail;
        if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
        else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
      });

      function close() {
        if (overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
        if (previousFocus && previousFocus.focus) { try { previousFocus.focus(); } catch (e) { /* gone */ } }
      }

      function answer(success) {
        complete.disabled = true;
        fail.disabled = true;
        status.textContent = "Please wait...";
        postToApi("/v1/payment_intents/" + encodeURIComponent(paymentIntentId) +
          "/_authenticate?success=" + (success ? "true" : "false"),
          {key: publishableKey, client_secret: clientSecret}
        ).then(function (res) {
          close();
          resolve({success: success, response: res});
        }, function () {
          close();
          resolve({success: success, response: null});
        });
      }

      complete.addEventListener("click", function () { answer(true); });
      fail.addEventListener("click", function () { answer(false); });
    });
  }

  /* ---------------------------------------------------------------- Stripe */

  function OfflineStripe(publishableKey, options) {
    if (typeof publishableKey !== "string" || publishableKey.indexOf("pk_") !== 0) {
      throw new Error("Offline Stripe: a publishable key (pk_...) is required.");
    }
    this._key = publishableKey;
    this._options = options || {};
    this._pending = null;
  }

  OfflineStripe.prototype.elements = function (options) {
    return new Elements(this, options);
  };

  OfflineStripe.prototype.retrievePaymentIntent = function () {
    return Promise.resolve({error: stripeError("api_error", "unsupported_offline",
      "retrievePaymentIntent is not available offline; ask the server for the payment status.")});
  };

  OfflineStripe.prototype.confirmPayment = function (params) {
    var self = this;
    if (this._pending) { return this._pending; }
    var promise = this._confirm(params || {});
    this._pending = promise;
    var done = function () { if (self._pending === promise) { self._pending = null; } };
    promise.then(done, done);
    return promise;
  };

  OfflineStripe.prototype._confirm = function (params) {
    var self = this;
    var elements = params.elements;
    var element = elements && elements._element;
    var clientSecret = params.clientSecret;
    var returnUrl = params.confirmParams && params.confirmParams.return_url;
    var redirect = params.redirect || "always";
    var paymentIntentId = paymentIntentIdFrom(clientSecret);

    if (!configured()) {
      return Promise.resolve({error: stripeError("api_error", "offline_not_configured",
        "The offline payment stand-in is not configured (no localstripe URL).")});
    }
    if (!element) {
      return Promise.resolve({error: validationError("element_not_mounted", "The payment form is not on the page.")});
    }
    if (typeof clientSecret !== "string") {
      return Promise.reject(integrationError("stripe.confirmPayment() needs the PaymentIntent's clientSecret " +
        "when the elements were made without an Intent."));
    }
    if (!elements._submitted) {
      return Promise.reject(integrationError("elements.submit() must be called, and its promise resolve " +
        "without an error, before stripe.confirmPayment()."));
    }
    elements._submitted = false;
    if (!paymentIntentId) {
      return Promise.resolve({error: stripeError("api_error", "invalid_client_secret",
        "This payment could not be started. Please reload the page and try again.")});
    }
    if (!returnUrl && redirect !== "if_required") {
      return Promise.resolve({error: stripeError("api_error", "missing_return_url",
        "confirmPayment needs confirmParams.return_url.")});
    }

    var checked = element._validate();
    if (checked.error) {
      element._showError(checked.error);
      return Promise.resolve({error: checked.error});
    }
    element._showError(null);
    var card = checked.card;
    var tokenFields = {
      "key": self._key,
      "card[number]": card.number,
      "card[exp_month]": card.exp_month,
      "card[exp_year]": card.exp_year,
      "card[cvc]": card.cvc
    };
    if (card.address_zip) { tokenFields["card[address_zip]"] = card.address_zip; }

    // Like the Payment Element, show validation errors inline; card and API errors are
    // only returned, for the page to show (so the page shows each message once).
    function fail(error) {
      if (error.type === "validation_error") { element._showError(error); }
      return {error: error};
    }

    function finish(status) {
      if (redirect === "if_required") {
        return {paymentIntent: {id: paymentIntentId, object: "payment_intent", status: status,
          client_secret: clientSecret}};
      }
      var url = new URL(returnUrl, window.location.href);
      url.searchParams.set("payment_intent", paymentIntentId);
      url.searchParams.set("payment_intent_client_secret", clientSecret);
      url.searchParams.set("redirect_status", status === "succeeded" ? "succeeded" :
        (status === "processing" ? "processing" : "failed"));
      window.location.assign(url.toString());
      return new Promise(function () { /* the page is navigating away */ });
    }

    function afterAttach(result) {
      var status = result.status;
      if (status === "succeeded" || status === "processing" || status === "requires_capture") {
        return finish(status === "requires_capture" ? "succeeded" : status);
      }
      if (status === "requires_action") {
        return challenge(paymentIntentId, clientSecret, self._key).then(function (outcome) {
          var res = outcome.response;
          if (!outcome.success) {
            return fail(stripeError("card_error", "payment_intent_authentication_failure", AUTH_FAILED_MESSAGE));
          }
          if (!res) {
            return fail(stripeError("api_error", "api_connection_error", CONNECTION_MESSAGE));
          }
          if (!res.ok) {
            return fail(normaliseError(res.body && res.body.error, res.status === 402 ? "card_error" : "api_error"));
          }
          return afterAttach({status: res.body && res.body.status,
            error: res.body && res.body.last_payment_error});
        });
      }
      if (status === "requires_payment_method") {
        return fail(normaliseError(result.error, "card_error"));
      }
      return fail(normaliseError(result.error, "api_error"));
    }

    // 1. Card -> localstripe token (the card never reaches Fly2Any).
    return postToApi("/v1/tokens", tokenFields).then(function (res) {
      if (!res.ok || !res.body || !res.body.id) {
        var e = (res.body && res.body.error) || {};
        var message = e.message && e.message !== "Bad request" ? e.message : "Your card details are invalid.";
        var error = validationError(e.code || "invalid_card_details", message);
        if (e.param) { error.param = e.param; }
        return fail(error);
      }
      // 2. Token id -> Fly2Any, which attaches it to the PaymentIntent and confirms.
      var headers = {"Content-Type": "application/json", "Accept": "application/json"};
      var csrf = csrfToken();
      if (csrf) { headers["X-CSRFToken"] = csrf; }
      return fetch(CONFIG.attach, {
        method: "POST",
        credentials: "same-origin",
        headers: headers,
        body: JSON.stringify({paymentIntentId: paymentIntentId, clientSecret: clientSecret, token: res.body.id})
      }).then(readJson).then(function (attached) {
        var body = attached.body || {};
        if (!attached.ok) {
          return fail(normaliseError(body.error, "api_error"));
        }
        return afterAttach(body);
      });
    }, function () {
      return fail(stripeError("api_error", "api_connection_error", CONNECTION_MESSAGE));
    }).catch(function () {
      return fail(stripeError("api_error", "api_connection_error", CONNECTION_MESSAGE));
    });
  };

  window.Stripe = function Stripe(publishableKey, options) {
    return new OfflineStripe(publishableKey, options);
  };
  window.Stripe.version = 3;
  window.Stripe.offline = true;
}());
