"""The HTML pages, one router per audience."""
