"""One router per concern; each mechanism adds its own."""
