"""The stored side: where the database is, its schema, and the writer behind `lt store`."""
