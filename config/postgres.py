"""What the search keeps in PostgreSQL only (commitments/search.py), as migration operations: no model knows of
it, and SQLite, the embedded default, has none of it.

- Each searched table has a column `search_document` (a tsvector: its searched columns, English-stemmed and
  weighted A, B, C, D in the order given) with a GIN index. A trigger computes it whenever a row is inserted or one
  of those columns is updated, from the first DOCUMENT_CHARACTERS characters of each. Stored rather than
  computed in the query, full-text matches and their ranking read it instead of parsing the text of every row
  (three to six times faster on the benchmark's database).
- The table `search_word` lists the words of those columns (letters only, 4 to 40 of them, lower case), with a
  trigram GIN index (pg_trgm) and a B-tree for the words one begins: the search looks up the spelling variants of
  a query's words there ("radicalisation" -> "radicalization", "uzbek" -> "uzbekistan") and searches the
  documents for them too. The same trigger adds the words of a row it has not seen; a word is never removed (one
  that nothing holds any more finds nothing). There is no unique constraint, so that two transactions adding the
  same new word never wait for each other: a word may rarely be listed twice, and the lookup reads each once.

A migration that renames a searched column, or changes which columns are searched, must drop the table's search
document (`drop_document`) and add it again (`searchable`): the trigger names the columns.
"""

from django.db import migrations
from django.db.models import F

DOCUMENT = "search_document"
WORDS = "search_word"
DOCUMENT_CHARACTERS = 100_000  # of each column: an attachment's text may be a whole book

# SQL of DOCUMENT, WORDS and DOCUMENT_CHARACTERS, spelled out.
SETUP = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE search_word (word text NOT NULL);
CREATE INDEX search_word_word ON search_word (word text_pattern_ops);
CREATE INDEX search_word_trigrams ON search_word USING gin (word gin_trgm_ops);
CREATE FUNCTION search_document() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    record jsonb := to_jsonb(NEW);
    document tsvector := '';
    words tsvector := '';
    value text;
BEGIN
    -- TG_ARGV: the searched columns, the most telling first (weights A, B, C, then D).
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        -- Words joined by - . / _ apart, angle brackets as spaces (commitments/search.py, separated()).
        value := regexp_replace(
            translate(left(coalesce(record ->> TG_ARGV[i], ''), 100000), '<>', '  '),
            '([[:alnum:]])[-_./]+(?=[[:alnum:]])', '\\1 ', 'g'
        );
        document := document || setweight(
            to_tsvector('english'::regconfig, value), (ARRAY['A', 'B', 'C', 'D'])[least(i + 1, 4)]::"char"
        );
        words := words || to_tsvector('simple'::regconfig, value);
    END LOOP;
    NEW.search_document := document;
    IF TG_OP = 'UPDATE' AND OLD.search_document IS NOT DISTINCT FROM document THEN
        RETURN NEW;
    END IF;
    INSERT INTO search_word (word)
        SELECT w.lexeme FROM unnest(words) AS w
        WHERE length(w.lexeme) BETWEEN 4 AND 40 AND w.lexeme ~ '^[[:alpha:]]+$'
            AND NOT EXISTS (SELECT FROM search_word s WHERE s.word = w.lexeme);
    RETURN NEW;
END
$$;
"""
TEARDOWN = f"DROP FUNCTION IF EXISTS {DOCUMENT}(); DROP TABLE IF EXISTS {WORDS};"


class PostgreSQLOnly(migrations.RunSQL):
    """SQL run on PostgreSQL only, leaving the migration state as it is (no model is changed)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def search_setup() -> PostgreSQLOnly:
    """pg_trgm, the table of words and the trigger function: before any `searchable`."""
    return PostgreSQLOnly(SETUP, TEARDOWN)


def searchable(app_label: str, model_name: str, *columns: str) -> list[migrations.operations.base.Operation]:
    """The search document of a model's table over `columns` (the most telling first): its column, index and
    trigger, filled for the rows already there (each row updated through the ORM, which fires the trigger)."""
    table = f"{app_label}_{model_name}"
    names = ", ".join(f'"{column}"' for column in columns)
    arguments = ", ".join(f"'{column}'" for column in columns)
    forwards = f"""
        ALTER TABLE "{table}" ADD COLUMN {DOCUMENT} tsvector;
        CREATE INDEX "{table}_{DOCUMENT}" ON "{table}" USING gin ({DOCUMENT});
        CREATE TRIGGER "{table}_{DOCUMENT}" BEFORE INSERT OR UPDATE OF {names} ON "{table}"
            FOR EACH ROW EXECUTE FUNCTION {DOCUMENT}({arguments});
    """

    def fill(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            apps.get_model(app_label, model_name)._base_manager.update(**{columns[0]: F(columns[0])})

    return [PostgreSQLOnly(forwards, drop_document(table).sql), migrations.RunPython(fill, migrations.RunPython.noop)]


def drop_document(table: str) -> PostgreSQLOnly:
    """The search document of a table gone: its trigger, and its column with the index on it."""
    sql = f'DROP TRIGGER IF EXISTS "{table}_{DOCUMENT}" ON "{table}"; '
    sql += f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS {DOCUMENT};'
    return PostgreSQLOnly(sql)
