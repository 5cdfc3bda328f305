-- A quarantined line that stood for other bytes (lake/sources.ts, originals: a queue message that
-- spanned lines) keeps those bytes: $1 the line, $2 the bytes.
UPDATE quarantined SET raw = $2 WHERE line = $1;
