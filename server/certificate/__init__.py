"""The portable work certificate: a signed credential (JSON) and a tagged PDF."""
