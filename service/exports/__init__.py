"""Exports of visits and answers for analysts: CSV, XLSX and Parquet, streamed."""
