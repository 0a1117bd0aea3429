"""What a traveller reads when a card is declined, by Stripe's decline code or error code.

Plain words, no Stripe SDK: the gateway turns Stripe errors into these, the payments
service records them on failed attempts, and the demo history seeder writes them too.
"""
from __future__ import annotations

# Stripe's own messages are fine for developers, but these say what to do next.
DECLINE_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds. Try another card, or choose a cheaper fare or fewer extras.",
    "expired_card": "Your card has expired. Check the expiry date or use another card.",
    "incorrect_cvc": "The security code is incorrect. Check the 3 digits on the back of your card.",
    "incorrect_number": "The card number is incorrect. Check it and try again.",
    "lost_card": "Your card was declined. Please use another card or contact your bank.",
    "stolen_card": "Your card was declined. Please use another card or contact your bank.",
    "processing_error": "An error occurred while processing your card. Please try again in a moment.",
    "authentication_required": "Your bank asks for authentication. Please try again and complete the check.",
    "payment_intent_authentication_failure": "We couldn't authenticate your card with your bank. Try again or use another card.",
    "card_velocity_exceeded": "Your card was declined for too many attempts. Please use another card or contact your bank.",
    "do_not_honor": "Your card was declined by your bank. Please contact your bank or use another card.",
    "generic_decline": "Your card was declined. Please use another card or contact your bank.",
    "card_declined": "Your card was declined. Please use another card or contact your bank.",
}


def decline_message(code: str | None, decline_code: str | None = None) -> str:
    return DECLINE_MESSAGES.get(decline_code or "") or DECLINE_MESSAGES.get(code or "") or DECLINE_MESSAGES["card_declined"]
