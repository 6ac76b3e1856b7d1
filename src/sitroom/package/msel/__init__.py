"""MSEL workbooks and CSV files in and out: agency spreadsheets become packages and back."""

from sitroom.package.msel.importer import export_msel, import_msel

__all__ = ["export_msel", "import_msel"]
