#!/bin/bash
# radosgw.sh start DIR PORT | stop DIR -- a single-host Ceph (mon + memstore OSD + radosgw) whose
# S3 API listens on 127.0.0.1:PORT: the strict SigV4 verifier the fleet tests run against.
# After ../shared/test-infra.md §1.3. Users: ci (read-write) and ro (read-only through the
# bucket policy the tests set). Stop kills only the daemons it started, by their pid files.
set -e
# The monitor takes Ceph's standard ports (3300, 6789): one cluster per machine at a time.
cmd=$1; D=$2; PORT=${3:-7480}
[ -n "$D" ] || { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }
export CEPH_CONF=$D/ceph.conf
if [ "$cmd" = stop ]; then
  for n in client.rgw.a osd.0 mon.a; do
    if [ -f "$D/run/$n.pid" ]; then
      pid=$(cat "$D/run/$n.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  exit 0
fi
if [ "$cmd" = restart-rgw ]; then
  radosgw -n client.rgw.a
  for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && exit 0; sleep 0.1; done
  echo "radosgw did not come back" >&2; exit 1
fi
if [ "$cmd" = stop-rgw ]; then
  pid=$(cat "$D/run/client.rgw.a.pid")
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
  kill -9 "$pid"; exit 0
fi
mkdir -p "$D"/{run,log,mon.a,osd.0}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = 127.0.0.1
mon initial members = a
public network = 127.0.0.0/8
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
mon warn on msgr2 not enabled = false
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon max pg per osd = 1000
osd crush chooseleaf type = 0
run dir = $D/run
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
log file = $D/log/\$name.log
keyring = $D/keyring
[mon]
mon data = $D/\$name
mon data avail warn = 1
mon data avail crit = 0
[osd]
osd data = $D/\$name
osd objectstore = memstore
memstore device bytes = 3221225472
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw max chunk size = 4194304
CONF
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --add a 127.0.0.1 --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
ceph-mon -i a
ceph osd create >/dev/null
ceph-osd -i 0 --mkfs >/dev/null 2>&1
ceph-osd -i 0 2>/dev/null
radosgw -n client.rgw.a
for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
radosgw-admin user create --uid=ci --display-name=ci --access-key=CIACCESSKEY --secret-key=CISECRETKEY >/dev/null
radosgw-admin user create --uid=ro --display-name=ro --access-key=CIREADONLY --secret-key=CIREADSECRET >/dev/null
echo "radosgw ready on http://127.0.0.1:$PORT"
