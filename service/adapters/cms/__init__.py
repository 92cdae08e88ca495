"""CMS's official payment files in their published layouts (docs/reference-data.md)."""
