"""How details read as text, the same in the command and the admin."""


def format_detail(detail):
    """One detail as a line of text: structured ones (the sample's rows) as key=value pairs."""
    if isinstance(detail, dict):
        return " ".join(f"{key}={value}" for key, value in detail.items())
    return str(detail)


def mask_email(email):
    """``user@example.org`` -> ``u***@example.org``: enough to recognise, not to harvest."""
    if not email or "@" not in email:
        return "***"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
