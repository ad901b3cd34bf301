"""Machine translation for `lt translate`: engines behind one small protocol, routing, caching."""
