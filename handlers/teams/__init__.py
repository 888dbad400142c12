"""The Microsoft Teams surface (PRODUCT §10)."""
