"""Official documents (公文) rendered from Jinja2 templates to .docx; see docs/templates.md."""

from congress.documents.builder import (
    build_document,
    markup_to_docx,
    parse_markup,
    render_text,
    template_environment,
    write_bytes_atomic,
)

__all__ = [
    "build_document",
    "markup_to_docx",
    "parse_markup",
    "render_text",
    "template_environment",
    "write_bytes_atomic",
]
