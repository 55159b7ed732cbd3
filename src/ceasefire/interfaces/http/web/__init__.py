"""The web pages, served beside the API by `ceasefire serve`: one module per page family."""
