"""Authoring: the studio where editors build polls, and the questionnaire JSON format."""
