"""The daily alert digest: composed from the database (`compose`), rendered as email and page (`render`),
mailed once per user and day (`send`), from the scheduler and `waspada digest` (`cli`)."""
