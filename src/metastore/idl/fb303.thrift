# lakeform's subset of the fb303 base service that the Hive metastore service extends.
# Written for lakeform; names and ids are the wire protocol's.

namespace py lakeform_fb303
namespace java lakeform.fb303

enum fb_status {
  DEAD = 0,
  STARTING = 1,
  ALIVE = 2,
  STOPPING = 3,
  STOPPED = 4,
  WARNING = 5,
}

service FacebookService {
  string getName(),
  string getVersion(),
  fb_status getStatus(),
  string getStatusDetails(),
  i64 aliveSince(),
  # A Hive client sends this when it closes; lakeform ends only that connection.
  oneway void shutdown(),
}
