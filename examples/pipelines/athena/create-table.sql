CREATE EXTERNAL TABLE IF NOT EXISTS loglane_logs (
  `timestamp`    timestamp,
  level          string,
  context        string,
  message        string,
  label          string,
  version        string,
  traceid        string,
  globaltraceid  string,
  spanid         string,
  userid         string,
  method         string,
  originalurl    string,
  route          string,
  handler        string,
  statuscode     bigint,
  latencyms      bigint,
  ip             string,
  useragent      string,
  aborted        boolean,
  requestheaders string COMMENT 'JSON text',
  requestbody    string COMMENT 'JSON text',
  responsebody   string COMMENT 'JSON text',
  errortype      string,
  errorcode      string,
  errormessage   string,
  errorstack     string,
  droppedlines   bigint,
  truncated      boolean
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://acme-logs/loglane/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://acme-logs/loglane/dt=${dt}/',
  'parquet.compression' = 'SNAPPY'
);
