"""The one service layer every front door calls (CLI, scheduler, demo, web app, digest, API).

Modules, by concern: `flow` (fetch, ingest and the deteksi dini stage), `alerts` (list, detail,
lifecycle), `alert_export` (alerts as CSV), `stories` (stories with their reports), `board` (levels,
dashboard), `feeds` (sources and their health), `articles` (export), `audit` (who changed what), `users`
(accounts, roles and permissions, sign-in), `tokens` (API tokens), `digest` (the daily digest's alerts,
subscribers and claimed deliveries), `paging` (numbered pages and cursors). Functions take an Engine or a
Session and return plain frozen records, so no caller holds ORM objects or writes its own queries;
filtering, sorting and paging happen in SQL.
"""
