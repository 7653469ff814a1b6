"""Turning a `Brief` into bytes: sandboxed Jinja templates, Markdown, PDF (WeasyPrint), charts, self-checks.

Renderers take a `Brief` and an options record of their own (`pdf.PdfOptions`), never a build
request; every output is verified (`verification`, `pdf.check_notes`) before it leaves this package.
"""
