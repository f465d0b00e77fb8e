"""Operators' RAD-PKS period reports: what a report holds (content.py), how it is gathered from the database
(sources.py for alerts and plan links, compose.py for the whole), and its XLSX matrix and DOCX narrative
(xlsx.py, docx.py). Front doors go through monitor.service.reports."""
