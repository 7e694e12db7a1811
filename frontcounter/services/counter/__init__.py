"""At the counter: check-in and the other arrival outcomes, departure feedback, needs attention."""
