-- Loads a day of loglane lines (day.ndjson, in the current folder) into DuckDB the way the Athena
-- pipelines store them: every column typed by the spec `loglane schema --format duckdb` printed (no
-- type guessing: a value of another type stops the load), written as Parquet under dt=YYYY-MM-DD/,
-- read back as the table loglane_logs that docs/pipelines/queries.md queries.
-- Run (docs/pipelines/queries.md): the variable loglane_columns must hold the spec first.
COPY (
  SELECT *, strftime("timestamp", '%Y-%m-%d') AS dt
  FROM read_json('day.ndjson', format = 'newline_delimited', columns = getvariable('loglane_columns'))
) TO 'parquet' (FORMAT parquet, PARTITION_BY (dt), OVERWRITE_OR_IGNORE);

CREATE OR REPLACE VIEW loglane_logs AS
  SELECT * FROM read_parquet('parquet/**/*.parquet', hive_partitioning = true, hive_types = {'dt': VARCHAR});
