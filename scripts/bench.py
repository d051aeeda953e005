"""The benchmark harness behind scripts/bench (run it through scripts/bench, which installs the
tools, builds the release binaries and passes their paths).

Every figure is measured next to its comparison in the same run, repetitions interleaved so
that load from elsewhere on the machine falls on both sides alike, and reported as a median.
Everything talks to moto on 127.0.0.1 with fake credentials.
"""

import argparse
import http.client
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
CLIENT_CERT = (REPO / "benches" / "terraform-client-cert.pem").read_text()
ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
ACCOUNT = "123456789012"


def log(*parts):
    print("bench:", *parts, file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values) if values else float("nan")


def p90(values):
    ordered = sorted(values)
    return ordered[round((len(ordered) - 1) * 0.9)] if ordered else float("nan")


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def secs(seconds):
    return f"{seconds:.3f} s"


# ---------------------------------------------------------------------------------------------
# The emulator, a raw ECS client and a counting proxy


class Moto:
    """moto_server on 127.0.0.1, port 0 (it binds a free port and prints it), as the tests do."""

    def __init__(self, venv, workdir, name):
        self.log_path = workdir / f"moto-{name}.log"
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(venv / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log_file,
        )
        self.port = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"moto_server exited:\n{self.log_path.read_text()}")
            if not self.port:
                found = re.search(r"Running on http://127\.0\.0\.1:(\d+)", self.log_path.read_text())
                self.port = int(found.group(1)) if found else 0
            if self.port:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                    connection.request("GET", "/moto-api/")
                    connection.getresponse().read()
                    connection.close()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise SystemExit(f"moto_server did not answer:\n{self.log_path.read_text()}")

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


class RawEcs:
    """ECS calls over one kept-alive HTTP/1.1 connection, each SigV4-signed with botocore's
    signer for `region` and its JSON answer parsed: what any client must do, and nothing more.
    moto serves every Region on one endpoint and keys what it holds by the signing Region."""

    def __init__(self, endpoint, region="us-east-1"):
        from botocore.auth import SigV4Auth
        from botocore.credentials import Credentials

        self.endpoint = endpoint.rstrip("/")
        host, port = self.endpoint.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.signer = SigV4Auth(Credentials("testing", "testing"), "ecs", region)
        self.connects = 0

    def call(self, operation, body):
        from botocore.awsrequest import AWSRequest

        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = AWSRequest(
            method="POST",
            url=self.endpoint + "/",
            data=data,
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": ECS_TARGET + operation,
            },
        )
        self.signer.add_auth(request)
        if self.connection.sock is None:
            self.connects += 1
        self.connection.request("POST", "/", body=data, headers=dict(request.headers.items()))
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{operation}: HTTP {response.status}: {payload[:300]!r}")
        return json.loads(payload)

    def close(self):
        self.connection.close()


HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}


# ECS's request throttling, per account and Region: one token bucket per category of actions,
# "bucket maximum capacity" (burst) and "bucket refill rate" (per second) as published in
# "Request throttling for the Amazon ECS API" (Amazon ECS API Reference and Developer Guide,
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html). The
# bench's own table, independent of ecstpl's adapter.
ECS_BUCKETS = {
    "task_definition_modify": (("RegisterTaskDefinition", "DeregisterTaskDefinition"), 20, 1.0),
    "task_definition_read": (("DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies"), 50, 20.0),
    "task_definition_deletion": (("DeleteTaskDefinitions",), 5, 1.0),
    "service_modify": (("CreateService", "UpdateService", "DeleteService"), 50, 5.0),
    "service_read": (("DescribeServices", "ListServices"), 100, 20.0),
    "service_deployments": (("ListServiceDeployments", "DescribeServiceDeployments"), 50, 20.0),
    "service_revisions": (("DescribeServiceRevisions",), 50, 20.0),
    "tag_modify": (("TagResource", "UntagResource"), 20, 10.0),
    "tag_read": (("ListTagsForResource",), 50, 20.0),
    "cluster_resource_modify": (("RunTask", "StartTask", "StopTask"), 100, 40.0),
    "cluster_resource_read": (("DescribeTasks", "ListTasks"), 100, 20.0),
}
THROTTLED_BODY = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'


class EcsThrottle:
    """The account's buckets, one set per Region (ECS's limits are per account and Region),
    each full when created: a call that finds its bucket empty is answered
    `ThrottlingException: Rate exceeded` and never reaches moto."""

    def __init__(self):
        self.lock = threading.Lock()
        self.category = {op: c for c, (ops, _, _) in ECS_BUCKETS.items() for op in ops}
        self.buckets = {}  # (region, category) → [tokens, when]; full at the Region's first call
        self.accepted = {}  # category → calls let through, all Regions
        self.accepted_in = {}  # region → {category → calls let through}
        self.throttled = {}  # operation → throttled answers, all Regions
        self.throttled_in = {}  # region → throttled answers

    def admit(self, operation, region=""):
        category = self.category.get(operation)
        if category is None:
            return True
        _, burst, refill = ECS_BUCKETS[category]
        with self.lock:
            now = time.monotonic()
            bucket = self.buckets.setdefault((region, category), [float(burst), now])
            bucket[0] = min(float(burst), bucket[0] + (now - bucket[1]) * refill)
            bucket[1] = now
            if bucket[0] >= 1.0:
                bucket[0] -= 1.0
                self.accepted[category] = self.accepted.get(category, 0) + 1
                in_region = self.accepted_in.setdefault(region, {})
                in_region[category] = in_region.get(category, 0) + 1
                return True
            self.throttled[operation] = self.throttled.get(operation, 0) + 1
            self.throttled_in[region] = self.throttled_in.get(region, 0) + 1
            return False

    def floor(self):
        """The least time the accepted calls need: max over Regions and categories of
        (accepted − burst) / refill (each Region has its own buckets, so their waits overlap)."""
        return max(
            [
                max(0.0, (count - ECS_BUCKETS[c][1]) / ECS_BUCKETS[c][2])
                for by_category in self.accepted_in.values()
                for c, count in by_category.items()
            ]
            or [0.0]
        )


SIGNING_REGION = re.compile(r"Credential=[^/,\s]*/[^/,\s]*/([^/,\s]+)/")


def signing_region(authorization):
    """The Region a SigV4 request was signed for: `Credential=AKID/DATE/REGION/ecs/aws4_request`."""
    found = SIGNING_REGION.search(authorization or "")
    return found.group(1) if found else ""


class CountingProxy:
    """An HTTP proxy in front of moto that records every request's ECS operation (from
    X-Amz-Target) and body. Used only to count and record calls, never while timing, except
    with an `EcsThrottle` (set `throttle`), where the wall time against the buckets' floor is
    the figure; then `stamps` also gets (when, operation, Region, admitted) for each call."""

    def __init__(self, upstream):
        self.throttle = None
        self.records = []
        self.stamps = []
        self.client_ports = set()
        lock = threading.Lock()
        host, port = upstream.removeprefix("http://").rstrip("/").split(":")
        local = threading.local()
        records = self.records
        client_ports = self.client_ports
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                throttle = proxy.throttle
                operation = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
                admitted = True
                if throttle is not None:
                    region = signing_region(self.headers.get("Authorization"))
                    admitted = throttle.admit(operation, region)
                    with lock:
                        proxy.stamps.append((time.monotonic(), operation, region, admitted))
                if not admitted:
                    with lock:
                        records.append((operation, body, 400, THROTTLED_BODY))
                    self.send_response(400)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("Content-Length", str(len(THROTTLED_BODY)))
                    self.end_headers()
                    self.wfile.write(THROTTLED_BODY)
                    return
                if getattr(local, "connection", None) is None:
                    local.connection = http.client.HTTPConnection(host, int(port), timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                local.connection.request(self.command, self.path, body=body, headers=headers)
                response = local.connection.getresponse()
                data = response.read()
                operation = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
                with lock:
                    records.append((operation, body, response.status, data))
                    client_ports.add(self.client_address[1])
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() not in ("server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = forward
            do_GET = forward

        class Server(http.server.ThreadingHTTPServer):
            # Hundreds of CI jobs connect at once in the fleet rows.
            request_queue_size = 1024
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def take(self):
        taken = list(self.records)
        self.records.clear()
        return taken

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def op_counts(records):
    counts = {}
    for operation, *_ in records:
        counts[operation] = counts.get(operation, 0) + 1
    return counts


# ---------------------------------------------------------------------------------------------
# The bench


class Bench:
    def __init__(self, args):
        self.args = args
        self.venv = Path(args.bench_venv)
        self.bin_dir = Path(args.bin_dir)
        self.null_provider = Path(args.null_provider)
        self.terraform = Path(
            os.environ.get("ECSTPL_BENCH_TERRAFORM") or REPO / ".tools" / "bin" / "terraform-1.15"
        )
        self.work = Path(tempfile.mkdtemp(prefix="ecstpl-bench-"))
        if args.startup_loop:
            self.provider = self.bin_dir / "terraform-provider-ecstpl"
        else:
            # A copy of the binaries for the whole run: a rebuild in target/ meanwhile changes nothing.
            pinned = self.work / "bin"
            pinned.mkdir()
            for name in ("terraform-provider-ecstpl", "ecstpl"):
                shutil.copy2(self.bin_dir / name, pinned / name)
            # The protocol floor (examples/floor-provider.rs), under the name Terraform looks for.
            shutil.copy2(self.bin_dir / "examples" / "floor-provider", pinned / "terraform-provider-floor")
            self.floor_provider = pinned / "terraform-provider-floor"
            # One ECS call on its own (examples/ecs-call-floor.rs).
            shutil.copy2(self.bin_dir / "examples" / "ecs-call-floor", pinned / "ecs-call-floor")
            self.call_floor = pinned / "ecs-call-floor"
            self.bin_dir = pinned
            self.provider = pinned / "terraform-provider-ecstpl"
        self.cli = self.bin_dir / "ecstpl"
        self.tmp = self.work / "tmp"  # TMPDIR of everything started here (plugin sockets)
        self.tmp.mkdir()
        (self.work / "empty").write_text("")
        self.results = {}
        self.wrappers = None if args.startup_loop else self.build_wrappers()

    # -- environment --------------------------------------------------------------------------

    def base_env(self, endpoint=None, paced=False):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "TF_", "PLUGIN_", "ECSTPL_")) and k != "GITHUB_STEP_SUMMARY"
        }
        env["TMPDIR"] = str(self.tmp)
        if endpoint:
            env.update(
                AWS_ENDPOINT_URL=endpoint,
                AWS_ACCESS_KEY_ID="testing",
                AWS_SECRET_ACCESS_KEY="testing",
                AWS_REGION="us-east-1",
                AWS_DEFAULT_REGION="us-east-1",
                AWS_EC2_METADATA_DISABLED="true",
                AWS_CONFIG_FILE=str(self.work / "empty"),
                AWS_SHARED_CREDENTIALS_FILE=str(self.work / "empty"),
                AWS_PAGER="",
            )
            if not paced:
                # moto throttles nothing: as an account with far raised limits, so that the plan
                # and deploy rows measure ecstpl, not ECS's published rates (the fleet rows do).
                env["ECSTPL_ECS_RATE_LIMITS"] = ",".join(f"{c}=100000/100000" for c in ECS_BUCKETS)
        return env

    def build_wrappers(self):
        """Two dev_overrides directories: 'rusage' (the C wrapper of scripts/bench-rusage.c under
        both providers' names) and 'perf' (perf record around the ecstpl provider)."""
        rusage_dir = self.work / "providers-rusage"
        rusage_dir.mkdir()
        wrapper = self.work / "bench-rusage"
        subprocess.run(
            ["cc", "-O2", "-Wall", "-o", str(wrapper), str(REPO / "scripts" / "bench-rusage.c")],
            check=True,
        )
        for name in ("terraform-provider-ecstpl", "terraform-provider-null", "terraform-provider-floor"):
            shutil.copy(wrapper, rusage_dir / name)
        perf_dir = self.work / "providers-perf"
        perf_dir.mkdir()
        script = perf_dir / "terraform-provider-ecstpl"
        script.write_text(
            "#!/bin/sh\n"
            'exec /usr/bin/perf record -F 10000 -g -q -o "$ECSTPL_BENCH_PERF_DIR/provider.$$.data" '
            f'-- "{self.provider}" "$@"\n'
        )
        script.chmod(0o755)
        # The same with DWARF unwinding (.eh_frame is kept in the release binary; frame pointers
        # are not), for the inclusive breakdown by component.
        dwarf_dir = self.work / "providers-perf-dwarf"
        dwarf_dir.mkdir()
        script = dwarf_dir / "terraform-provider-ecstpl"
        script.write_text(
            "#!/bin/sh\n"
            'exec /usr/bin/perf record -F 4000 --call-graph dwarf,16384 -q -o "$ECSTPL_BENCH_PERF_DIR/dwarf.$$.data" '
            f'-- "{self.provider}" "$@"\n'
        )
        script.chmod(0o755)
        return {"rusage": rusage_dir, "perf": perf_dir, "perf-dwarf": dwarf_dir}

    # -- row a: start → handshake -------------------------------------------------------------

    def handshake_once(self, binary, protocol, env):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(binary)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        proc.kill()
        proc.wait()
        proc.stdout.close()
        if not line.startswith(f"1|{protocol}|unix|".encode()):
            raise SystemExit(f"{binary}: unexpected handshake line {line[:80]!r}")
        return elapsed

    def true_once(self):
        start = time.perf_counter()
        subprocess.Popen(["/bin/true"]).wait()
        return time.perf_counter() - start

    def handshake_env(self, protocols):
        env = self.base_env()
        env.update(
            TF_PLUGIN_MAGIC_COOKIE=COOKIE, PLUGIN_PROTOCOL_VERSIONS=protocols, PLUGIN_CLIENT_CERT=CLIENT_CERT
        )
        return env

    def row_handshake(self):
        starts = self.args.starts
        log(f"handshake: {starts} starts each of ecstpl, hashicorp/null 2.1.2 and /bin/true, interleaved")
        # Terraform announces the protocol versions it speaks; the null provider 2.1.2 speaks 5.
        ecstpl_env = self.handshake_env("6")
        null_env = self.handshake_env("5")
        # Informative: the same without PLUGIN_CLIENT_CERT (no AutoMTLS: no key generated).
        ecstpl_plain = {k: v for k, v in ecstpl_env.items() if k != "PLUGIN_CLIENT_CERT"}
        null_plain = {k: v for k, v in null_env.items() if k != "PLUGIN_CLIENT_CERT"}
        kinds = {
            "ecstpl": lambda: self.handshake_once(self.provider, 6, ecstpl_env),
            "null": lambda: self.handshake_once(self.null_provider, 5, null_env),
            "true": self.true_once,
            "ecstpl-plain": lambda: self.handshake_once(self.provider, 6, ecstpl_plain),
            "null-plain": lambda: self.handshake_once(self.null_provider, 5, null_plain),
        }
        for run in kinds.values():  # warm the page cache
            run()
        samples = {name: [] for name in kinds}
        order = list(kinds)
        for i in range(starts):
            for name in order[i % len(order) :] + order[: i % len(order)]:
                samples[name].append(kinds[name]())
        result = {
            name: {"median": median(v), "p90": p90(v), "min": min(v), "n": len(v)} for name, v in samples.items()
        }
        self.results["handshake"] = result
        for name, r in result.items():
            log(f"  {name:<12} median {ms(r['median'])}  p90 {ms(r['p90'])}  min {ms(r['min'])}")

    def startup_loop(self, count):
        env = self.handshake_env("6")
        for _ in range(count):
            self.handshake_once(self.provider, 6, env)

    # -- rows b, c: terraform plan ------------------------------------------------------------

    def tf_env(self, endpoint, providers_dir, real=None, rusage=None, perf_dir=None, paced=False):
        env = self.base_env(endpoint, paced)
        cli_config = self.work / f"cli-{providers_dir.name}.tfrc"
        cli_config.write_text(
            "provider_installation {\n  dev_overrides {\n"
            f'    "registry.terraform.io/ecstpl/ecstpl" = "{providers_dir}"\n'
            f'    "registry.terraform.io/hashicorp/null" = "{providers_dir}"\n'
            f'    "registry.terraform.io/ecstpl/floor" = "{providers_dir}"\n'
            "  }\n  direct {}\n}\n"
        )
        env.update(TF_CLI_CONFIG_FILE=str(cli_config), CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
        if real:
            env["ECSTPL_BENCH_REAL"] = str(real)
        if rusage:
            env["ECSTPL_BENCH_RUSAGE"] = str(rusage)
        if perf_dir:
            env["ECSTPL_BENCH_PERF_DIR"] = str(perf_dir)
        return env

    @staticmethod
    def tf_config(kind, count, prefix):
        if kind == "null":
            return (
                'terraform {\n  required_providers {\n    null = { source = "hashicorp/null" }\n  }\n}\n\n'
                f'resource "null_resource" "r" {{\n  count = {count}\n}}\n'
            )
        if kind == "floor":
            return (
                'terraform {\n  required_providers {\n    floor = { source = "ecstpl/floor" }\n  }\n}\n\n'
                f'resource "floor_null" "r" {{\n  count = {count}\n}}\n'
            )
        return f"""terraform {{
  required_providers {{
    ecstpl = {{ source = "ecstpl/ecstpl" }}
  }}
}}

provider "ecstpl" {{
  region = "us-east-1"
}}

resource "ecstpl_template" "t" {{
  count                    = {count}
  family                   = "{prefix}-${{count.index}}-template"
  deploy_family            = "{prefix}-${{count.index}}"
  cpu                      = "256"
  memory                   = "512"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  execution_role_arn       = "arn:aws:iam::{ACCOUNT}:role/web-execution"
  tags                     = {{ service = "{prefix}-${{count.index}}" }}

  container_definitions = jsonencode([{{
    name         = "app"
    image        = "placeholder"
    portMappings = [{{ containerPort = 8080 }}]
    environment = [
      {{ name = "LOG_LEVEL", value = "info" }},
      {{ name = "PORT", value = "8080" }},
    ]
    logConfiguration = {{
      logDriver = "awslogs"
      options = {{
        awslogs-group         = "/ecs/{prefix}-${{count.index}}"
        awslogs-region        = "us-east-1"
        awslogs-stream-prefix = "app"
      }}
    }}
  }}])
}}
"""

    def terraform_run(self, workspace, args, env, what):
        start = time.perf_counter()
        out = workspace / "last.log"
        with open(out, "w") as sink:
            code = subprocess.run(
                [str(self.terraform), *args], cwd=workspace, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
            ).returncode
        elapsed = time.perf_counter() - start
        return code, elapsed, out

    def plan_once(self, workspace, env, rusage):
        if rusage.exists():
            rusage.unlink()
        code, elapsed, out = self.terraform_run(
            workspace, ["plan", "-input=false", "-no-color", "-detailed-exitcode"], env, "plan"
        )
        if code != 0:
            raise SystemExit(f"plan in {workspace} exited {code} (0 = no changes expected):\n{out.read_text()[-3000:]}")
        lines = [l.split() for l in rusage.read_text().splitlines()] if rusage.exists() else []
        cpu = sum(int(u) + int(s) for u, s, *_ in lines) / 1e6
        peak = max((int(l[2]) for l in lines), default=0) / 1024
        return elapsed, cpu, peak, len(lines)

    def row_plan(self, sizes, main_n):
        reps_for = lambda n: self.args.reps if n <= 200 else max(2, self.args.reps - 2)  # noqa: E731
        groups = {}
        for n in sizes:
            moto = Moto(self.venv, self.work, f"plan{n}")
            try:
                groups[n] = self.plan_group(moto, n, reps_for(n), perf=(self.args.perf and n == main_n))
            finally:
                moto.stop()
        self.results["plan"] = groups

    def plan_group(self, moto, n, reps, perf):
        log(f"plan: N = {n}, {reps} repetitions (moto {moto.endpoint})")
        rusage = self.work / "rusage.txt"
        workspaces = {}
        for kind, count in (("ecstpl", n), ("null", n), ("floor", n), ("ecstpl0", 0), ("null0", 0), ("floor0", 0)):
            ws = self.work / f"ws-{kind}-{n}"
            ws.mkdir()
            (ws / "main.tf").write_text(self.tf_config(kind.rstrip("0"), count, f"b{n}"))
            workspaces[kind] = ws
        real = {"ecstpl": self.provider, "null": self.null_provider, "floor": self.floor_provider}
        envs = {
            kind: self.tf_env(moto.endpoint, self.wrappers["rusage"], real[kind.rstrip("0")], rusage)
            for kind in workspaces
        }
        applied = {}
        for kind, ws in workspaces.items():
            code, elapsed, out = self.terraform_run(
                ws, ["apply", "-auto-approve", "-input=false", "-no-color"], envs[kind], "apply"
            )
            if code != 0:
                raise SystemExit(f"apply in {ws} failed:\n{out.read_text()[-3000:]}")
            applied[kind] = elapsed
            log(f"  apply {kind:<8} {secs(elapsed)}")

        # What the ecstpl plan asks of ECS: one plan through the counting proxy, untimed.
        proxy = CountingProxy(moto.endpoint)
        counted_env = self.tf_env(proxy.endpoint, self.wrappers["rusage"], self.provider, rusage)
        self.plan_once(workspaces["ecstpl"], counted_env, rusage)
        recorded = [(op, body) for op, body, status, _ in proxy.take() if op]
        calls = op_counts(recorded)
        log(f"  ECS calls of one ecstpl plan: {calls}")
        # The same plan with the provider's connections to ECS kept alive, as real ECS keeps
        # them (the proxy answers HTTP/1.1 keep-alive; moto closes every connection): what the
        # provider spends per template when it does not connect for every call.
        kept = []
        for _ in range(reps):
            proxy.client_ports.clear()
            _, cpu, _, _ = self.plan_once(workspaces["ecstpl"], counted_env, rusage)
            kept.append((cpu, len(proxy.client_ports)))
            proxy.take()
        proxy.stop()

        def emulator():
            raw = RawEcs(moto.endpoint)
            start = time.perf_counter()
            for op, body in recorded:
                raw.call(op, body)
            elapsed = time.perf_counter() - start
            connects = raw.connects
            raw.close()
            return elapsed, connects

        samples = {k: [] for k in ("ecstpl", "null", "floor", "ecstpl0", "null0", "floor0", "emulator")}
        connects = set()
        order = ["ecstpl", "null", "floor", "emulator", "ecstpl0", "null0", "floor0"]
        for i in range(reps):
            for kind in order[i % len(order) :] + order[: i % len(order)]:
                if kind == "emulator":
                    elapsed, c = emulator()
                    connects.add(c)
                    samples[kind].append({"wall": elapsed})
                else:
                    wall, cpu, peak, procs = self.plan_once(workspaces[kind], envs[kind], rusage)
                    samples[kind].append({"wall": wall, "cpu": cpu, "peak_mib": peak, "processes": procs})
        summary = {"n": n, "reps": reps, "calls": calls, "apply": applied, "emulator_connections": sorted(connects)}
        for kind, rows in samples.items():
            summary[kind] = {key: median([r[key] for r in rows]) for key in rows[0]}
            summary[kind]["walls"] = [r["wall"] for r in rows]
        e, nl, em = summary["ecstpl"], summary["null"], summary["emulator"]
        summary["ratio"] = e["wall"] / (nl["wall"] + em["wall"])
        if n:
            summary["cpu_per_template_ms"] = (e["cpu"] - summary["ecstpl0"]["cpu"]) / n * 1000
            summary["null_cpu_per_resource_ms"] = (nl["cpu"] - summary["null0"]["cpu"]) / n * 1000
            summary["floor_cpu_per_resource_ms"] = (summary["floor"]["cpu"] - summary["floor0"]["cpu"]) / n * 1000
            summary["kept_alive_cpu_per_template_ms"] = (median([c for c, _ in kept]) - summary["ecstpl0"]["cpu"]) / n * 1000
            summary["kept_alive_connections"] = max(k for _, k in kept)
            summary["wall_per_template_ms"] = (e["wall"] - summary["ecstpl0"]["wall"]) / n * 1000
            summary["null_wall_per_resource_ms"] = (nl["wall"] - summary["null0"]["wall"]) / n * 1000
        log(
            f"  plan ecstpl {secs(e['wall'])} (cpu {e['cpu'] * 1000:.1f} ms in {e['processes']} processes, peak {e['peak_mib']:.1f} MiB)"
            f" | null {secs(nl['wall'])} (cpu {nl['cpu'] * 1000:.1f} ms, peak {nl['peak_mib']:.1f} MiB)"
            f" | emulator {secs(em['wall'])} | ratio {summary['ratio']:.2f}x"
            f" | baseline ecstpl0 {secs(summary['ecstpl0']['wall'])} cpu {summary['ecstpl0']['cpu'] * 1000:.1f} ms"
            f" null0 {secs(summary['null0']['wall'])}"
        )
        if n:
            summary["call_floor"] = self.call_floor_row(moto.endpoint, f"b{n}-0-template", reps)
        if perf:
            summary["perf"] = self.perf_plan(workspaces["ecstpl"], moto.endpoint)
        return summary

    def call_floor_row(self, endpoint, family, reps, calls=200):
        """CPU per DescribeTaskDefinition (with tags) made one after another: through ecstpl's
        adapter on aws-sdk-ecs in its own process, and signed by botocore with http.client and
        parsed by json in this one, interleaved."""
        arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{family}:1"
        env = self.base_env(endpoint)
        body = {"taskDefinition": arn, "include": ["TAGS"]}
        rows = {"ecstpl": [], "botocore": []}
        for _ in range(reps):
            done = subprocess.run(
                [str(self.call_floor), "--endpoint", endpoint, "--task-definition", arn, "--calls", str(calls)],
                env=env, capture_output=True, text=True, check=True,
            )
            figures = json.loads(done.stdout)
            rows["ecstpl"].append((figures["cpu_ms_per_call"], figures["wall_ms_per_call"]))
            raw = RawEcs(endpoint)
            for _ in range(5):
                raw.call("DescribeTaskDefinition", body)
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(calls):
                raw.call("DescribeTaskDefinition", body)
            rows["botocore"].append(((time.process_time() - cpu) * 1000 / calls, (time.perf_counter() - wall) * 1000 / calls))
            raw.close()
        result = {"calls": calls}
        for kind, samples in rows.items():
            result[kind] = {"cpu_ms": median([c for c, _ in samples]), "wall_ms": median([w for _, w in samples])}
        log(f"  one DescribeTaskDefinition: ecstpl {result['ecstpl']} | botocore {result['botocore']}")
        return result

    # -- row d: deploy ------------------------------------------------------------------------

    TEMPLATE_BODY = {
        "cpu": "256",
        "memory": "512",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/web-execution",
        "containerDefinitions": [
            {
                "name": "app",
                "image": "placeholder",
                "essential": True,
                "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                "environment": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/web",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "app",
                    },
                },
            }
        ],
    }

    AWS_CLI_SCRIPT = r"""#!/usr/bin/env bash
# The same four steps as a deploy, with the aws CLI and jq: describe the service, describe its
# task definition, register it with the new image, point the service at it.
set -euo pipefail
cluster="$1" service="$2" container="$3" image="$4"
live="$(aws ecs describe-services --cluster "$cluster" --services "$service" \
  --query 'services[0].taskDefinition' --output text)"
aws ecs describe-task-definition --task-definition "$live" --include TAGS >"$TMPDIR/live.json"
jq --arg c "$container" --arg i "$image" '
  .taskDefinition
  | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,
        .registeredAt, .registeredBy, .deregisteredAt)
  | .containerDefinitions |= map(if .name == $c then .image = $i else . end)
' "$TMPDIR/live.json" >"$TMPDIR/register.json"
tags="$(jq -c '.tags // []' "$TMPDIR/live.json")"
if [ "$tags" != "[]" ]; then
  jq --argjson t "$tags" '. + {tags: $t}' "$TMPDIR/register.json" >"$TMPDIR/register2.json"
  mv "$TMPDIR/register2.json" "$TMPDIR/register.json"
fi
new="$(aws ecs register-task-definition --cli-input-json "file://$TMPDIR/register.json" \
  --query 'taskDefinition.taskDefinitionArn' --output text)"
aws ecs update-service --cluster "$cluster" --service "$service" --task-definition "$new" \
  --query 'service.serviceArn' --output text >/dev/null
echo "$new"
"""

    def deploy_setup(self, endpoint):
        raw = RawEcs(endpoint)
        raw.call("CreateCluster", {"clusterName": "prod"})
        template = dict(self.TEMPLATE_BODY, family="web-template")
        template["tags"] = [
            {"key": "ecstpl:role", "value": "template"},
            {"key": "ecstpl:deploy-family", "value": "web"},
        ]
        raw.call("RegisterTaskDefinition", template)
        services = {"web": "web-template:1"}
        for family in ("web-fab", "web-cli"):
            raw.call("RegisterTaskDefinition", dict(self.TEMPLATE_BODY, family=family))
            services[family] = f"{family}:1"
        for service, task_definition in services.items():
            raw.call(
                "CreateService",
                {
                    "cluster": "prod",
                    "serviceName": service,
                    "taskDefinition": task_definition,
                    "desiredCount": 1,
                },
            )
        raw.close()

    def live_arn(self, endpoint, service):
        raw = RawEcs(endpoint)
        answer = raw.call("DescribeServices", {"cluster": "prod", "services": [service]})
        raw.close()
        return answer["services"][0]["taskDefinition"]

    def run_timed(self, argv, env, what):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{what} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return elapsed

    def row_deploy(self):
        reps = self.args.deploy_reps
        moto = Moto(self.venv, self.work, "deploy")
        try:
            self._row_deploy(moto, reps)
        finally:
            moto.stop()

    def _row_deploy(self, moto, reps):
        log(f"deploy: {reps} repetitions (moto {moto.endpoint})")
        self.deploy_setup(moto.endpoint)
        script = self.work / "aws-cli-deploy.sh"
        script.write_text(self.AWS_CLI_SCRIPT)
        script.chmod(0o755)
        bench_bin = self.venv / "bin"
        counter = iter(range(1, 1_000_000))

        def env_for(endpoint):
            env = self.base_env(endpoint)
            env["PATH"] = f"{bench_bin}:{env.get('PATH', '')}"
            return env

        def commands(endpoint, image):
            return {
                "ecstpl": [str(self.cli), "deploy", "--cluster", "prod", "--service", "web", "--image", f"app={image}", "--no-wait"],
                "fabfuel": [
                    str(bench_bin / "ecs"), "deploy", "prod", "web-fab", "-i", "app", image,
                    "--timeout", "-1", "--no-deregister", "--region", "us-east-1",
                ],
                "aws-cli": [str(script), "prod", "web-cli", "app", image],
            }

        direct_env = env_for(moto.endpoint)
        services = {"ecstpl": "web", "fabfuel": "web-fab", "aws-cli": "web-cli"}
        # The first deploy (the one after a stack was bootstrapped) is not what CI repeats.
        self.run_timed(commands(moto.endpoint, "repo:warm")["ecstpl"], direct_env, "ecstpl deploy (warm-up)")

        # Count (and record) each tool's ECS calls once, through the proxy.
        proxy = CountingProxy(moto.endpoint)
        proxied_env = env_for(proxy.endpoint)
        calls = {}
        recorded = None
        live_before = self.live_arn(moto.endpoint, "web")
        image_rec = "repo:recorded"
        for name, argv in commands(proxy.endpoint, image_rec).items():
            self.run_timed(argv, proxied_env, f"{name} (counted)")
            taken = [(op, body, data) for op, body, status, data in proxy.take() if op]
            calls[name] = [op for op, *_ in taken]
            if name == "ecstpl":
                recorded = taken
        proxy.stop()
        log(f"  ECS calls: {calls}")
        registered_rec = next(
            json.loads(data)["taskDefinition"]["taskDefinitionArn"]
            for op, _, data in recorded
            if op == "RegisterTaskDefinition"
        )

        raw_connections = set()

        def raw_deploy(image):
            """ecstpl's own calls, replayed: the same bodies with this deploy's live revision,
            image and registered revision substituted, over one connection."""
            raw = RawEcs(moto.endpoint)
            start = time.perf_counter()
            live_now = registered_now = None
            for op, body, _ in recorded:
                text = body.decode()
                if live_now:
                    text = text.replace(json.dumps(live_before), json.dumps(live_now))
                if registered_now:
                    text = text.replace(json.dumps(registered_rec), json.dumps(registered_now))
                text = text.replace(json.dumps(image_rec), json.dumps(image))
                answer = raw.call(op, text.encode())
                if op == "DescribeServices":
                    live_now = answer["services"][0]["taskDefinition"]
                if op == "RegisterTaskDefinition":
                    registered_now = answer["taskDefinition"]["taskDefinitionArn"]
            elapsed = time.perf_counter() - start
            raw_connections.add(raw.connects)
            raw.close()
            if self.live_arn(moto.endpoint, "web") != registered_now:
                raise SystemExit("raw deploy did not point the service at its registration")
            return elapsed

        samples = {"ecstpl": [], "raw": [], "fabfuel": [], "aws-cli": []}
        order = list(samples)
        for i in range(reps):
            for name in order[i % 4 :] + order[: i % 4]:
                image = f"repo:v{next(counter)}"
                if name == "raw":
                    samples[name].append(raw_deploy(image))
                    continue
                samples[name].append(self.run_timed(commands(moto.endpoint, image)[name], direct_env, name))
                check = RawEcs(moto.endpoint)
                live = self.live_arn(moto.endpoint, services[name])
                body = check.call("DescribeTaskDefinition", {"taskDefinition": live})["taskDefinition"]
                check.close()
                if body["containerDefinitions"][0]["image"] != image:
                    raise SystemExit(f"{name}: the service runs {live} with {body['containerDefinitions'][0]['image']}, not {image}")
        result = {
            name: {"median": median(v), "p90": p90(v), "min": min(v), "n": len(v)} for name, v in samples.items()
        }
        result["calls"] = calls
        result["raw_connections"] = sorted(raw_connections)
        result["ecstpl_requests"] = [(op, body.decode()[:400]) for op, body, _ in recorded]
        self.results["deploy"] = result
        for name in order:
            r = result[name]
            log(f"  {name:<8} median {ms(r['median'])}  p90 {ms(r['p90'])}  min {ms(r['min'])}")

    # -- rows e, f: ECS's rate limits at fleet scale -------------------------------------------

    def fleet_module(self, n, release, limits=""):
        return f"""terraform {{
  required_providers {{
    ecstpl = {{ source = "ecstpl/ecstpl" }}
  }}
}}

provider "ecstpl" {{
  region = "us-east-1"
}}

resource "ecstpl_template" "t" {{
  count         = {n}
  family        = "fleet-${{count.index}}-template"
  deploy_family = "fleet-${{count.index}}"
  memory        = "512"
  container_definitions = jsonencode([{{
    name        = "app"
    image       = "placeholder"
    environment = [{{ name = "RELEASE", value = "{release}" }}]
  }}])
}}
"""

    def row_fleet(self):
        self.results["fleet"] = {}
        for n in self.args.fleet_sizes:
            self.results["fleet"][n] = {"templates": self.fleet_templates(n), "deploys": self.fleet_deploys(n)}

    def throttled_run(self, proxy, what, run, keep=None):
        """Runs `run` against fresh, full ECS buckets; the wall time, the floor those buckets
        set for the calls ECS accepted, and the throttled answers. `keep`, a list, receives
        the requests recorded meanwhile."""
        proxy.take()
        proxy.stamps.clear()
        throttle = EcsThrottle()
        proxy.throttle = throttle
        start, started = time.perf_counter(), time.monotonic()
        outcome = run()
        wall = time.perf_counter() - start
        proxy.throttle = None
        # When each operation's calls came, in seconds from the start: the first, and the last ECS accepted.
        first_call = {}
        last_accepted = {}
        for when, operation, _, admitted in proxy.stamps:
            if operation:
                first_call[operation] = min(first_call.get(operation, when - started), when - started)
                if admitted:
                    last_accepted[operation] = max(last_accepted.get(operation, 0.0), when - started)
        records = [r for r in proxy.take() if r[0]]
        if keep is not None:
            keep.extend(records)
        calls = op_counts(records)
        result = {
            "wall": wall,
            "floor": throttle.floor(),
            "throttled": sum(throttle.throttled.values()),
            "throttled_by_action": throttle.throttled,
            "accepted_by_category": throttle.accepted,
            "accepted_by_region": throttle.accepted_in,
            "throttled_by_region": throttle.throttled_in,
            "calls": calls,
            "first_call": first_call,
            "last_accepted": last_accepted,
        }
        result.update(outcome)
        result["ratio"] = wall / result["floor"] if result["floor"] else float("nan")
        ratio = f"{result['ratio']:.2f}x" if result["floor"] else "n/a"
        log(
            f"  {what}: {secs(wall)}, floor {secs(result['floor'])} ({ratio}), errors {result['errors']}, "
            f"throttled {result['throttled']} {throttle.throttled}, accepted {throttle.accepted}"
        )
        return result

    def fleet_templates(self, n):
        """One module change that touches n templates: one `terraform apply` (default
        parallelism), every template registering a revision and deregistering the one it
        superseded."""
        moto = Moto(self.venv, self.work, f"fleet-templates-{n}")
        proxy = CountingProxy(moto.endpoint)
        try:
            log(f"fleet: a module change of {n} templates under ECS's published rates (moto {moto.endpoint})")
            ws = self.work / f"ws-fleet-{n}"
            ws.mkdir()
            env = self.tf_env(proxy.endpoint, self.bin_dir, paced=True)
            (ws / "main.tf").write_text(self.fleet_module(n, "a"))
            code, elapsed, out = self.terraform_run(ws, ["apply", "-auto-approve", "-input=false", "-no-color"], env, "apply")
            if code != 0:
                raise SystemExit(f"set-up apply of {n} templates failed:\n{out.read_text()[-3000:]}")
            log(f"  set-up apply (unthrottled) {secs(elapsed)}")
            (ws / "main.tf").write_text(self.fleet_module(n, "b"))

            def change():
                code, _, out = self.terraform_run(ws, ["apply", "-auto-approve", "-input=false", "-no-color"], env, "apply")
                text = out.read_text()
                return {
                    "exit": code,
                    "errors": text.count("Error: "),
                    "left_for_later": text.count("Could not deregister"),
                }

            result = self.throttled_run(proxy, f"apply of the change to {n} templates", change)
            raw = RawEcs(moto.endpoint)
            done = 0
            for i in range(n):
                family = f"fleet-{i}-template"
                listed = raw.call("ListTaskDefinitions", {"familyPrefix": family, "status": "ACTIVE"})
                if [a for a in listed["taskDefinitionArns"] if f"/{family}:" in a] == [
                    f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{family}:2"
                ]:
                    done += 1
            raw.close()
            result["done"] = done
            return result
        finally:
            proxy.stop()
            moto.stop()

    def fleet_deploys(self, n):
        """n `ecstpl deploy --no-wait` started at once, each its own process (its own CI job),
        each with a service of its own."""
        moto = Moto(self.venv, self.work, f"fleet-deploys-{n}")
        proxy = CountingProxy(moto.endpoint)
        try:
            log(f"fleet: {n} concurrent `ecstpl deploy --no-wait` under ECS's published rates (moto {moto.endpoint})")
            raw = RawEcs(moto.endpoint)
            raw.call("CreateCluster", {"clusterName": "prod"})
            for i in range(n):
                template = dict(self.TEMPLATE_BODY, family=f"svc{i}-template")
                template["tags"] = [
                    {"key": "ecstpl:role", "value": "template"},
                    {"key": "ecstpl:deploy-family", "value": f"svc{i}"},
                ]
                raw.call("RegisterTaskDefinition", template)
                raw.call(
                    "CreateService",
                    {"cluster": "prod", "serviceName": f"svc{i}", "taskDefinition": f"svc{i}-template:1", "desiredCount": 1},
                )
            env = self.base_env(proxy.endpoint, paced=True)

            def fleet():
                procs = [
                    subprocess.Popen(
                        [str(self.cli), "deploy", "--cluster", "prod", "--service", f"svc{i}", "--image", "app=repo:v1", "--no-wait"],
                        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                    )
                    for i in range(n)
                ]
                failures = []
                for i, proc in enumerate(procs):
                    _, err = proc.communicate()
                    if proc.returncode != 0:
                        failures.append((i, proc.returncode, err.decode(errors="replace")[-300:]))
                return {"errors": len(failures), "failures": failures[:5]}

            result = self.throttled_run(proxy, f"{n} concurrent deploys", fleet)
            done = 0
            for i in range(n):
                live = raw.call("DescribeServices", {"cluster": "prod", "services": [f"svc{i}"]})["services"][0]["taskDefinition"]
                body = raw.call("DescribeTaskDefinition", {"taskDefinition": live})["taskDefinition"]
                done += body["containerDefinitions"][0]["image"] == "repo:v1"
            raw.close()
            result["done"] = done
            return result
        finally:
            proxy.stop()
            moto.stop()

    # -- row g: one fleet command against one process per service --------------------------------

    FLEETCMD_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")

    def row_fleetcmd(self):
        n, regions = self.args.fleetcmd_services, self.args.fleetcmd_regions
        # Services spread evenly, round robin: service i in regions[i % len(regions)].
        placement = [(f"svc{i}", regions[i % len(regions)]) for i in range(n)]
        self.results["fleetcmd"] = {"services": n, "regions": list(regions), "scenarios": {}}
        for scenario in ("shared", "own"):
            self.results["fleetcmd"]["scenarios"][scenario] = {
                side: self.fleetcmd_side(scenario, side, placement) for side in ("fleet", "processes")
            }

    def fleetcmd_setup(self, endpoint, scenario, placement):
        """Unthrottled, straight to moto, each Region through a client signing for it: cluster
        `prod` per Region and the services, on one template per Region (`shared`: family
        web-template, deploy family web) or one template per service (`own`: svcI-template,
        deploy family svcI)."""
        for region in dict.fromkeys(r for _, r in placement):
            raw = RawEcs(endpoint, region)
            raw.call("CreateCluster", {"clusterName": "prod"})
            if scenario == "shared":
                raw.call("RegisterTaskDefinition", self.tagged_template("web-template", "web"))
            for service, where in placement:
                if where != region:
                    continue
                family = "web-template" if scenario == "shared" else f"{service}-template"
                if scenario == "own":
                    raw.call("RegisterTaskDefinition", self.tagged_template(family, service))
                raw.call(
                    "CreateService",
                    {"cluster": "prod", "serviceName": service, "taskDefinition": f"{family}:1", "desiredCount": 1},
                )
            raw.close()

    def tagged_template(self, family, deploy_family):
        template = dict(self.TEMPLATE_BODY, family=family)
        template["tags"] = [
            {"key": "ecstpl:role", "value": "template"},
            {"key": "ecstpl:deploy-family", "value": deploy_family},
        ]
        return template

    @staticmethod
    def fleet_toml(placement):
        """One wave with every target (max_parallel unset: all at once)."""
        lines = [
            "# scripts/bench: every service of the run in one wave.",
            "[[wave]]",
            'name = "all"',
        ]
        for service, region in placement:
            lines += ["", "[[wave.target]]", f'region  = "{region}"', 'cluster = "prod"', f'service = "{service}"']
        return "\n".join(lines) + "\n"

    def fleetcmd_live(self, endpoint, placement):
        """Each service's live revision and that revision's image, through RawEcs per Region."""
        live = {}
        for region in dict.fromkeys(r for _, r in placement):
            raw = RawEcs(endpoint, region)
            services = [s for s, r in placement if r == region]
            images = {}
            for start in range(0, len(services), 10):
                answer = raw.call("DescribeServices", {"cluster": "prod", "services": services[start : start + 10]})
                for service in answer["services"]:
                    arn = service["taskDefinition"]
                    if arn not in images:
                        body = raw.call("DescribeTaskDefinition", {"taskDefinition": arn})["taskDefinition"]
                        images[arn] = body["containerDefinitions"][0]["image"]
                    live[(service["serviceName"], region)] = (arn, images[arn])
            raw.close()
        return live

    def fleetcmd_run(self, side, placement, env, fleet_file):
        """(fleet) one `ecstpl deploy --fleet`, or (processes) one `ecstpl deploy` per service,
        all started at once; the errors."""
        n = len(placement)
        if side == "fleet":
            done = subprocess.run(
                [str(self.cli), "deploy", "--fleet", str(fleet_file), "--image", "app=repo:v1", "--no-wait", "--output", "json"],
                env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            )
            try:
                report = json.loads(done.stdout)
            except ValueError:
                report = {"targets": []}
            targets = report.get("targets", [])
            failures = [
                (t.get("target"), t.get("result"), t.get("exit_code"), (t.get("message") or "")[-300:])
                for t in targets
                if t.get("result") != "started" or t.get("exit_code")
            ]
            # Every target not started is an error; so is a failed process whose targets all started.
            missing = n - (len(targets) - len(failures))
            return {
                "exit": done.returncode,
                "errors": missing or int(done.returncode != 0),
                "failures": failures[:5] + ([("(process)", done.returncode, done.stderr[-600:])] if done.returncode else []),
                "reported": len(targets),
                "reported_registered": sum(1 for t in targets if t.get("registered")),
                "results": op_counts([(t.get("result"),) for t in targets]),
            }
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [
                    str(self.cli), "deploy", "--cluster", "prod", "--service", service, "--region", region,
                    "--image", "app=repo:v1", "--no-wait",
                ],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            for service, region in placement
        ]
        spawned = time.perf_counter() - start
        failures = []
        for (service, region), proc in zip(placement, procs):
            _, err = proc.communicate()
            if proc.returncode != 0:
                failures.append((f"{region}/prod/{service}", proc.returncode, err.decode(errors="replace")[-300:]))
        return {
            "exit": max((f[1] for f in failures), default=0),
            "errors": len(failures),
            "failures": failures[:5],
            "spawned": spawned,
        }

    def fleetcmd_side(self, scenario, side, placement):
        """One side of a scenario: in a fresh moto, set-up, then the deploy against fresh, full
        buckets (the figure); and in another fresh moto the same without any rate limit (no
        throttle, the client's limits raised), for what starting the processes and making the
        calls costs on this machine."""
        n = len(placement)
        regions = len(dict.fromkeys(r for _, r in placement))
        fleet_file = self.work / f"fleet-{scenario}.toml"
        fleet_file.write_text(self.fleet_toml(placement))
        result = None
        for limits in ("published", "none"):
            moto = Moto(self.venv, self.work, f"fleetcmd-{scenario}-{side}-{limits}")
            proxy = CountingProxy(moto.endpoint)
            try:
                log(f"fleetcmd: {scenario} template(s), {side}, rate limits {limits}: {n} services in {regions} Regions (moto {moto.endpoint})")
                started = time.perf_counter()
                self.fleetcmd_setup(moto.endpoint, scenario, placement)
                log(f"  set-up (unthrottled) {secs(time.perf_counter() - started)}")
                if limits == "none":
                    env = self.base_env(proxy.endpoint)
                    start = time.perf_counter()
                    outcome = self.fleetcmd_run(side, placement, env, fleet_file)
                    wall = time.perf_counter() - start
                    proxy.take()
                    done = sum(1 for _, image in self.fleetcmd_live(moto.endpoint, placement).values() if image == "repo:v1")
                    result["unlimited"] = {"wall": wall, "errors": outcome["errors"], "done": done, "spawned": outcome.get("spawned")}
                    log(f"  without rate limits: {secs(wall)}, errors {outcome['errors']}, {done} of {n} on repo:v1")
                    continue
                env = self.base_env(proxy.endpoint, paced=True)
                records = []
                result = self.throttled_run(
                    proxy, f"{scenario}: {side}", lambda: self.fleetcmd_run(side, placement, env, fleet_file), keep=records
                )
                # The calls ECS answered (not throttled), and the registrations among them.
                answered = [r for r in records if r[3] != THROTTLED_BODY]
                result["answered_calls"] = op_counts(answered)
                result["registrations"] = sum(
                    1 for op, _, status, _ in answered if op == "RegisterTaskDefinition" and status == 200
                )
                live = self.fleetcmd_live(moto.endpoint, placement)
                result["done"] = sum(1 for _, image in live.values() if image == "repo:v1")
                result["revisions_live"] = len({arn for arn, image in live.values() if image == "repo:v1"})
                result["services"] = n
                log(
                    f"  {result['registrations']} registrations; {result['done']} of {n} on repo:v1 "
                    f"({result['revisions_live']} distinct revisions); calls {result['calls']}; "
                    f"first call {result['first_call']}; last accepted {result['last_accepted']}"
                )
            finally:
                proxy.stop()
                moto.stop()
        return result

    # -- perf ---------------------------------------------------------------------------------

    def perf_report(self, data, comms=None, sort="symbol", top=None):
        """`perf report --no-children --sort symbol`; with `comms`, only those threads' samples,
        as shares of their own total."""
        if comms:
            return self.perf_share(data, comms.split(","), "symbol", top or self.args.perf_top)
        argv = ["/usr/bin/perf", "report", "-i", str(data), "--no-children", "--sort", sort, "--stdio", "-g", "none", "-q"]
        done = subprocess.run(argv, capture_output=True, text=True)
        lines = [
            re.sub(r"(\s+-)+\s*$", "", l.rstrip()) for l in done.stdout.splitlines() if l.strip() and not l.startswith("#")
        ]
        return lines[: top or self.args.perf_top]

    def perf_share(self, data, comms, key, top):
        """Shares by `key` (symbol or dso) of the samples of the threads named `comms` only, of
        their own total (perf's --comms with --percentage relative drops the kernel's samples
        when sorting by dso, so this sorts by comm,KEY and adds up)."""
        done = subprocess.run(
            ["/usr/bin/perf", "report", "-i", str(data), "--no-children", "--sort", f"comm,{key}", "--stdio", "-g", "none", "-q"],
            capture_output=True,
            text=True,
        )
        shares = {}
        for line in done.stdout.splitlines():
            parts = line.split(None, 2)
            if len(parts) == 3 and parts[0].endswith("%") and parts[1] in comms:
                name = re.sub(r"(\s+-)+\s*$", "", parts[2].rstrip())
                shares[name] = shares.get(name, 0.0) + float(parts[0].rstrip("%"))
        total = sum(shares.values()) or 1.0
        ordered = sorted(shares.items(), key=lambda kv: -kv[1])
        return [f"{100 * v / total:8.2f}%  {k}" for k, v in ordered[:top]]

    def perf_crates(self, data, top=12):
        """The samples grouped by where the code comes from: the Rust crate of each symbol of
        the provider binary (aws_lc_* as aws-lc), other shared objects by name."""
        done = subprocess.run(
            ["/usr/bin/perf", "report", "-i", str(data), "--no-children", "--sort", "dso,symbol", "--stdio", "-g", "none", "-q"],
            capture_output=True,
            text=True,
        )
        groups = {}
        for line in done.stdout.splitlines():
            parts = line.split(None, 2)
            if len(parts) < 3 or not parts[0].endswith("%"):
                continue
            pct, dso, rest = float(parts[0].rstrip("%")), parts[1], parts[2].strip()
            symbol = rest[3:].strip() if rest[:3] in ("[.]", "[k]") else rest
            if dso != "terraform-provider-ecstpl":
                group = dso
            elif symbol.startswith("aws_lc_") or symbol.startswith("Lbignum") or "nistz" in symbol:
                group = "aws-lc (in the binary)"
            else:
                bare = symbol.lstrip("<&*").removeprefix("dyn ").removeprefix("mut ")
                group = bare.split("::", 1)[0] if "::" in bare else "(unnamed code in the binary)"
            groups[group] = groups.get(group, 0.0) + pct
        ordered = sorted(groups.items(), key=lambda kv: -kv[1])
        return [f"{v:8.2f}%  {k}" for k, v in ordered[:top]]

    def perf_dso_share(self, data, comms):
        return self.perf_share(data, comms, "dso", 6)

    def perf_samples(self, data):
        done = subprocess.run(
            ["/usr/bin/perf", "report", "-i", str(data), "--stdio", "--sort", "comm", "-g", "none"],
            capture_output=True,
            text=True,
        )
        found = re.search(r"# Samples: (\S+)", done.stdout)
        return found.group(1) if found else "?"

    def perf_plan(self, workspace, endpoint):
        out = Path(self.args.perf)
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("provider.*.data"):
            old.unlink()
        env = self.tf_env(endpoint, self.wrappers["perf"], perf_dir=out)
        code, elapsed, log_path = self.terraform_run(
            workspace, ["plan", "-input=false", "-no-color", "-detailed-exitcode"], env, "plan (perf)"
        )
        if code != 0:
            raise SystemExit(f"perf plan exited {code}:\n{log_path.read_text()[-2000:]}")
        files = sorted(out.glob("provider.*.data"), key=lambda p: p.stat().st_size, reverse=True)
        report = {"wall": elapsed, "files": []}
        for data in files:
            report["files"].append(
                {
                    "file": str(data),
                    "samples": self.perf_samples(data),
                    "top": self.perf_report(data),
                    "dso": self.perf_report(data, sort="dso", top=6),
                    "crates": self.perf_crates(data),
                }
            )
        log(f"  perf plan: {len(files)} provider processes recorded in {out}")
        for old in out.glob("dwarf.*.data"):
            old.unlink()
        env = self.tf_env(endpoint, self.wrappers["perf-dwarf"], perf_dir=out)
        code, _, log_path = self.terraform_run(
            workspace, ["plan", "-input=false", "-no-color", "-detailed-exitcode"], env, "plan (perf, dwarf)"
        )
        if code != 0:
            raise SystemExit(f"perf (dwarf) plan exited {code}:\n{log_path.read_text()[-2000:]}")
        dwarf = max(out.glob("dwarf.*.data"), key=lambda p: p.stat().st_size, default=None)
        if dwarf:
            report["breakdown"] = {"file": str(dwarf), **self.perf_breakdown(dwarf)}
        return report

    # Stages of a refresh. Each sample is given to the stage of the frame nearest its leaf that
    # belongs to one (a malloc or a system call counts for the code that made it), so the shares
    # add up to 100%; "other" is code under no stage (thread start, the runtime's idle loop).
    STAGES = [
        ("TCP connect (one per call: moto answers Connection: close)", r"(^|::|_)connect(?!ion)"),
        ("PEM: the system CA store (rustls_native_certs, at AWS config load), the client cert", r"rustls_native_certs|rustls_pki_types::pem"),
        ("SigV4 signing (aws_sigv4)", r"aws_sigv4::"),
        ("JSON (serde_json, aws_smithy_json)", r"serde_json::|aws_smithy_json::"),
        ("HTTP/1.1 client (hyper client, aws_smithy_http_client)", r"hyper_util::client|hyper::client|aws_smithy_http_client|hyper::proto::h1"),
        ("AWS SDK (orchestrator, config, ECS (de)serializers)", r"aws_smithy_|aws_runtime::|aws_sdk_ecs::|aws_config::|aws_credential_types::|aws_types::"),
        ("normalization (ecstpl::taskdef)", r"ecstpl::taskdef::"),
        ("tfplugin6 value codec, msgpack (ecstpl::plugin::value, rmp)", r"ecstpl::plugin::value|\brmp::"),
        ("ecstpl::aws (ECS calls, raw adapter)", r"ecstpl::aws::"),
        ("provider handlers (ecstpl::provider, ecstpl::plugin)", r"ecstpl::"),
        ("TLS on the plugin socket: handshake, records (rustls, aws-lc)", r"rustls|aws_lc|ring::"),
        ("gRPC server (tonic, h2, hyper server, prost)", r"tonic|\bh2::|hyper::server|hyper::proto::h2|prost::"),
        ("logging (tracing)", r"tracing"),
        ("tokio runtime (scheduler, I/O driver, timers)", r"tokio::"),
    ]

    def perf_breakdown(self, data):
        done = subprocess.run(
            ["/usr/bin/perf", "script", "-i", str(data), "-F", "comm,tid,ip,sym,dso"],
            capture_output=True,
            text=True,
        )
        compiled = [(name, re.compile(pattern)) for name, pattern in self.STAGES]
        counts = {name: 0 for name, _ in compiled}
        counts["other"] = 0
        leaf = {"malloc/free (libc)": 0, "kernel": 0}
        malloc = re.compile(r"^(malloc|_int_malloc|_int_free|cfree|free|realloc|_int_realloc|malloc_consolidate|unlink_chunk|tcache)")
        total = 0
        frames = []

        def flush():
            nonlocal total
            if not frames:
                return
            total += 1
            symbols = [f.split(" (", 1)[0] for f in frames]
            leaf["kernel"] += "[kernel" in frames[0]
            leaf["malloc/free (libc)"] += bool(malloc.search(symbols[0]))
            for symbol in symbols:
                stage = next((name for name, regex in compiled if regex.search(symbol)), None)
                if stage:
                    counts[stage] += 1
                    break
            else:
                counts["other"] += 1
            frames.clear()

        for line in done.stdout.splitlines():
            if not line.strip():
                flush()
            elif line.startswith(("\t", " ")):
                parts = line.strip().split(None, 1)
                frames.append(parts[1] if len(parts) == 2 else parts[0])
        flush()
        share = lambda c: 100.0 * c / total if total else 0.0  # noqa: E731
        return {
            "samples": total,
            "stages": sorted(((name, share(c)) for name, c in counts.items()), key=lambda kv: -kv[1]),
            "leaf": [(name, share(c)) for name, c in leaf.items()],
        }

    def perf_startups(self):
        out = Path(self.args.perf)
        out.mkdir(parents=True, exist_ok=True)
        data = out / "startup.data"
        count = self.args.perf_starts
        log(f"perf: {count} provider start-ups")
        subprocess.run(
            [
                "/usr/bin/perf", "record", "-F", "10000", "-g", "-q", "-o", str(data), "--",
                sys.executable, __file__, "--startup-loop", str(count),
                "--bench-venv", str(self.venv), "--null-provider", str(self.null_provider), "--bin-dir", str(self.bin_dir),
            ],
            check=True,
            env=self.base_env(),
        )
        comms = "terraform-provi,tokio-rt-worker"
        self.results["perf_startup"] = {
            "file": str(data),
            "samples": self.perf_samples(data),
            "top": self.perf_report(data, comms),
            "dso": self.perf_dso_share(data, comms.split(",")),
            "comms": comms,
        }

    # -- the table ----------------------------------------------------------------------------

    @staticmethod
    def connection_note(connections, calls):
        connections = max(connections) if connections else 0
        if connections <= 1:
            return " over one connection"
        if connections >= calls:
            return ", one connection per call: moto answers `Connection: close`"
        return f" over {connections} connections"

    def table(self):
        rows = []
        verdict = lambda ok: "met" if ok else "not met"  # noqa: E731
        h = self.results.get("handshake")
        if h:
            e, g, t = h["ecstpl"]["median"], h["null"]["median"], h["true"]["median"]
            rows.append(
                (
                    "provider start → handshake line",
                    ms(e),
                    f"Go provider hashicorp/null 2.1.2: {ms(g)}; `/bin/true`: {ms(t)}",
                    f"{e / g:.2f}× Go; {e / t:.1f}× `/bin/true`",
                    f"≤ 0.3× Go and ≤ 2 ms: {verdict(e / g <= 0.3 and e <= 0.002)}",
                )
            )
        plan = self.results.get("plan", {})
        main = plan.get(self.args.n)
        if main:
            n = main["n"]
            e, nl, em = main["ecstpl"], main["null"], main["emulator"]
            calls = ", ".join(f"{count} {op}" for op, count in main["calls"].items())
            rows.append(
                (
                    f"`terraform plan` (with refresh) of {n} templates",
                    secs(e["wall"]),
                    f"{n} `null_resource`: {secs(nl['wall'])} + emulator's own time for the plan's ECS calls ({calls}, "
                    f"replayed raw one after another{self.connection_note(main['emulator_connections'], len(main['calls']) and sum(main['calls'].values()))}): {secs(em['wall'])}",
                    f"{main['ratio']:.2f}×",
                    f"≤ 1.1×: {verdict(main['ratio'] <= 1.1)}",
                )
            )
            rows.append(
                (
                    "provider CPU per refreshed template during that plan",
                    f"{main['cpu_per_template_ms']:.3f} ms",
                    f"(plan CPU {e['cpu'] * 1000:.0f} ms − 0-template plan {main['ecstpl0']['cpu'] * 1000:.0f} ms) / {n}; "
                    f"null provider per `null_resource`: {main['null_cpu_per_resource_ms']:.3f} ms",
                    f"{main['cpu_per_template_ms'] / main['null_cpu_per_resource_ms']:.1f}× null"
                    if main["null_cpu_per_resource_ms"] > 0
                    else "—",
                    f"≤ 0.25 ms: {verdict(main['cpu_per_template_ms'] <= 0.25)}",
                )
            )
            rows.append(
                (
                    "the same, with the connections to ECS kept alive (through a keep-alive proxy; moto closes every connection, ECS does not)",
                    f"{main['kept_alive_cpu_per_template_ms']:.3f} ms",
                    f"{n} DescribeTaskDefinition over {main['kept_alive_connections']} connections; "
                    f"one connection per call above: {main['cpu_per_template_ms']:.3f} ms",
                    f"{main['kept_alive_cpu_per_template_ms'] / main['cpu_per_template_ms']:.2f}× one connection per call",
                    f"≤ 0.25 ms: {verdict(main['kept_alive_cpu_per_template_ms'] <= 0.25)}",
                )
            )
            floor = main["floor_cpu_per_resource_ms"]
            rows.append(
                (
                    "protocol floor: provider CPU per `floor_null` in a plan of as many (ecstpl's plugin layer, no ECS call, no template logic)",
                    f"{floor:.3f} ms",
                    f"null provider per `null_resource` (the same resource in Go): {main['null_cpu_per_resource_ms']:.3f} ms",
                    f"{floor / main['null_cpu_per_resource_ms']:.2f}× null"
                    if main["null_cpu_per_resource_ms"] > 0
                    else "—",
                    f"the template's 0.25 ms would be {0.25 / floor:.1f}× this floor" if floor > 0 else "—",
                )
            )
            call = main.get("call_floor")
            if call:
                rows.append(
                    (
                        "one ECS call on its own: CPU per DescribeTaskDefinition (with tags), "
                        f"{call['calls']} one after another (examples/ecs-call-floor.rs: ecstpl's adapter on aws-sdk-ecs)",
                        f"{call['ecstpl']['cpu_ms']:.3f} ms",
                        f"botocore's SigV4 + http.client + json, the same calls: {call['botocore']['cpu_ms']:.3f} ms",
                        f"{call['ecstpl']['cpu_ms'] / call['botocore']['cpu_ms']:.2f}× botocore",
                        f"with the protocol floor: {floor + call['ecstpl']['cpu_ms']:.3f} ms a template before any template logic",
                    )
                )
            rows.append(
                (
                    "provider peak RSS during that plan",
                    f"{e['peak_mib']:.1f} MiB",
                    f"null provider during its plan: {nl['peak_mib']:.1f} MiB",
                    f"{e['peak_mib'] / nl['peak_mib']:.2f}× null" if nl["peak_mib"] else "—",
                    f"≤ 20 MiB: {verdict(e['peak_mib'] <= 20)}",
                )
            )
        for n in sorted(plan):
            g = plan[n]
            if not n:
                continue
            rows.append(
                (
                    f"growth: plan of {n} templates",
                    f"{secs(g['ecstpl']['wall'])} ({g['wall_per_template_ms']:.2f} ms/template over the 0-template plan; CPU {g['cpu_per_template_ms']:.3f} ms/template)",
                    f"{n} `null_resource` {secs(g['null']['wall'])} + emulator {secs(g['emulator']['wall'])}",
                    f"{g['ratio']:.2f}×",
                    f"flat per template; ≤ 1.1×: {verdict(g['ratio'] <= 1.1)}",
                )
            )
        d = self.results.get("deploy")
        if d:
            ecstpl_calls = d["calls"]["ecstpl"]
            rows.append(
                (
                    "ECS calls per `ecstpl deploy --no-wait`",
                    f"{len(ecstpl_calls)} ({', '.join(ecstpl_calls)})",
                    f"fabfuel `ecs deploy`: {len(d['calls']['fabfuel'])}; aws-CLI script: {len(d['calls']['aws-cli'])}",
                    "—",
                    f"5: {verdict(len(ecstpl_calls) <= 5)}",
                )
            )
            e = d["ecstpl"]["median"]
            rows.append(
                (
                    "`ecstpl deploy --no-wait` wall",
                    ms(e),
                    f"the same {len(ecstpl_calls)} calls raw{self.connection_note(d['raw_connections'], len(ecstpl_calls))}: {ms(d['raw']['median'])}; "
                    f"fabfuel `ecs deploy`: {ms(d['fabfuel']['median'])}; aws-CLI script: {ms(d['aws-cli']['median'])}",
                    f"{e / d['raw']['median']:.2f}× raw; {e / d['fabfuel']['median']:.3f}× fabfuel; {e / d['aws-cli']['median']:.3f}× aws CLI",
                    f"≤ 1.5× raw: {verdict(e / d['raw']['median'] <= 1.5)}",
                )
            )
        for n, fleet in sorted(self.results.get("fleet", {}).items()):
            for kind, label in (
                ("templates", f"a module change touching {n} `ecstpl_template`s (one `terraform apply`, default parallelism) under ECS's published rates"),
                ("deploys", f"{n} `ecstpl deploy --no-wait` started at once under ECS's published rates"),
            ):
                r = fleet[kind]
                rows.append(
                    (
                        label,
                        f"{secs(r['wall'])}; {r['errors']} errors; {r['done']} of {n} done; {r['throttled']} throttled answers",
                        f"floor the buckets set for the {sum(r['accepted_by_category'].values())} calls ECS accepted "
                        f"({', '.join(f'{c} {k}' for c, k in sorted(r['accepted_by_category'].items()))}): {secs(r['floor'])}",
                        f"{r['ratio']:.2f}× floor",
                        f"0 errors, ≤ 1.2× floor{', throttled ≈ 0' if kind == 'templates' else ''}: "
                        + verdict(r["errors"] == 0 and r["done"] == n and r["ratio"] <= 1.2),
                    )
                )
        fleetcmd = self.results.get("fleetcmd")
        if fleetcmd:
            n, regions = fleetcmd["services"], len(fleetcmd["regions"])
            for scenario, r in fleetcmd["scenarios"].items():
                f, p = r["fleet"], r["processes"]
                rows.append(
                    (
                        f"one `ecstpl deploy --fleet` over {n} services in {regions} Regions ({self.FLEETCMD_SCENARIOS[scenario]}) under ECS's published rates",
                        f"{secs(f['wall'])} ({self.floor_text(f)}); {f['errors']} errors; {f['done']} of {n} done; "
                        f"{f['throttled']} throttled answers; {f['registrations']} registrations",
                        f"{n} `ecstpl deploy --no-wait` processes at once: {secs(p['wall'])} ({self.floor_text(p)}); "
                        f"{p['errors']} errors; {p['done']} of {n} done; {p['throttled']} throttled answers; {p['registrations']} registrations",
                        f"{f['wall'] / p['wall']:.2f}× the processes' wall",
                        f"0 errors, ≤ 1.2× floor{' (n/a: floor 0)' if not f['floor'] else ''}: " + verdict(self.fleetcmd_met(f, n)),
                    )
                )
        lines = ["| figure | ecstpl | comparison | ratio | target |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        if fleetcmd:
            lines += self.fleetcmd_tables(fleetcmd)
        return "\n".join(lines)

    FLEETCMD_SCENARIOS = {"shared": "one template per Region", "own": "a template per service"}

    @staticmethod
    def floor_text(r):
        if not r["floor"]:
            return "floor 0: n/a"
        return f"floor {secs(r['floor'])}, {r['ratio']:.2f}×"

    @staticmethod
    def fleetcmd_met(r, n):
        return r["errors"] == 0 and r["done"] == n and (not r["floor"] or r["ratio"] <= 1.2)

    def fleetcmd_tables(self, fleetcmd):
        """A table per scenario, the fleet command and the processes side by side."""
        n, regions = fleetcmd["services"], fleetcmd["regions"]
        lines = []
        for scenario, r in fleetcmd["scenarios"].items():
            f, p = r["fleet"], r["processes"]
            ratio = lambda a, b: f"{a / b:.2f}×" if b else "—"  # noqa: E731

            def wall_floor(x):
                return f"n/a (floor 0); wall {secs(x['wall'])}" if not x["floor"] else f"**{x['ratio']:.2f}×**"

            def per_target(x):
                return ", ".join(f"{op} {count / n:.2f}" for op, count in sorted(x["calls"].items(), key=lambda kv: -kv[1]))

            def accepted(x):
                return ", ".join(
                    f"{region} " + " ".join(f"{c} {k}" for c, k in sorted(by.items()))
                    for region, by in sorted(x["accepted_by_region"].items())
                )

            def throttled(x):
                by = ", ".join(f"{op} {k}" for op, k in sorted(x["throttled_by_action"].items(), key=lambda kv: -kv[1]))
                return f"{x['throttled']}" + (f" ({by})" if by else "")

            def errors(x):
                return f"{x['errors']}" + (f": {x['failures'][0]}" if x["failures"] else "")

            def timeline(x):
                first = min(x["first_call"].values(), default=float("nan"))
                register = x["first_call"].get("RegisterTaskDefinition")
                register = f"first RegisterTaskDefinition at {register:.2f} s; " if register is not None else ""
                last = ", ".join(f"{op} {t:.2f} s" for op, t in sorted(x["last_accepted"].items(), key=lambda kv: kv[1]))
                return f"first call at {first:.2f} s; {register}last accepted: {last}"

            def unlimited(x):
                u = x.get("unlimited")
                if not u:
                    return "—"
                spawned = f" (the {n} `Popen`s: {secs(u['spawned'])})" if u.get("spawned") is not None else ""
                return f"{secs(u['wall'])}{spawned}; {u['errors']} errors; {u['done']} of {n} done"

            lines += [
                "",
                f"{n} services in {len(regions)} Regions ({', '.join(regions)}), {self.FLEETCMD_SCENARIOS[scenario]}:",
                "",
                f"| figure | one `ecstpl deploy --fleet` (one wave, every target at once) | {n} `ecstpl deploy` processes at once | fleet / processes |",
                "|---|---|---|---|",
                f"| wall | {secs(f['wall'])} | {secs(p['wall'])} | {ratio(f['wall'], p['wall'])} |",
                f"| floor the buckets set (largest over Region and category of (accepted − burst) / refill) | {secs(f['floor'])} | {secs(p['floor'])} | — |",
                f"| wall / floor (goal ≤ 1.2×) | {wall_floor(f)} | {wall_floor(p)} | — |",
                f"| when the calls came (seconds from the start) | {timeline(f)} | {timeline(p)} | — |",
                f"| the same deploy without any rate limit (fresh moto, no throttle, client limits raised) | {unlimited(f)} | {unlimited(p)} | — |",
                f"| ECS calls sent (throttled ones included) | {sum(f['calls'].values())}; {sum(f['calls'].values()) / n:.2f} per target | "
                f"{sum(p['calls'].values())}; {sum(p['calls'].values()) / n:.2f} per target | {ratio(sum(f['calls'].values()), sum(p['calls'].values()))} |",
                f"| per target, by operation | {per_target(f)} | {per_target(p)} | — |",
                f"| calls ECS accepted, by Region and category | {accepted(f)} | {accepted(p)} | — |",
                f"| throttled answers | {throttled(f)} | {throttled(p)} | — |",
                f"| errors (goal 0) | {errors(f)} | {errors(p)} | — |",
                f"| revisions registered | {f['registrations']} | {p['registrations']} | {ratio(f['registrations'], p['registrations'])} |",
                f"| services on a `repo:v1` revision | {f['done']} of {n} ({f['revisions_live']} revisions) | {p['done']} of {n} ({p['revisions_live']} revisions) | — |",
            ]
        return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench-venv", required=True)
    parser.add_argument("--null-provider", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--quick", action="store_true", help="small N, few repetitions (development)")
    parser.add_argument("--reps", type=int, help="plan repetitions per size (default 5; 3 at N > 200)")
    parser.add_argument("--starts", type=int, help="start-ups per program in the handshake row (default 100)")
    parser.add_argument("--deploy-reps", type=int, help="deploys per tool (default 10)")
    parser.add_argument("--n", type=int, help="templates in the plan, CPU and RSS rows (default 200)")
    parser.add_argument("--sizes", help="comma-separated plan sizes for the growth rows (default 50,200,1000)")
    parser.add_argument("--rows", default="handshake,plan,deploy,fleet,fleetcmd", help="which rows to measure")
    parser.add_argument("--fleet-sizes", help="templates and concurrent deploys in the fleet rows (default 50,200)")
    parser.add_argument("--fleetcmd-services", type=int, help="services in the fleetcmd row (default 100)")
    parser.add_argument(
        "--fleetcmd-regions",
        default=",".join(Bench.FLEETCMD_REGIONS),
        help="Regions the fleetcmd row spreads its services over (default %(default)s)",
    )
    parser.add_argument("--perf", metavar="DIR", help="also record perf profiles into DIR")
    parser.add_argument("--perf-starts", type=int, default=200)
    parser.add_argument("--perf-top", type=int, default=12)
    parser.add_argument("--json", metavar="FILE", help="write every figure as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--no-build", action="store_true", help="(scripts/bench) skip cargo build")
    parser.add_argument("--startup-loop", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    quick = args.quick
    args.reps = args.reps or (2 if quick else 5)
    args.starts = args.starts or (20 if quick else 100)
    args.deploy_reps = args.deploy_reps or (2 if quick else 10)
    args.n = args.n or (20 if quick else 200)
    sizes = [int(s) for s in (args.sizes or ("20" if quick else "50,200,1000")).split(",")]
    args.fleet_sizes = [int(s) for s in (args.fleet_sizes or ("25" if quick else "50,200")).split(",")]
    args.fleetcmd_services = args.fleetcmd_services or (30 if quick else 100)
    args.fleetcmd_regions = tuple(args.fleetcmd_regions.split(","))
    if args.n not in sizes:
        sizes.append(args.n)
    sizes.sort()
    if args.perf and quick:
        args.perf_starts = min(args.perf_starts, 20)

    bench = Bench(args)
    try:
        if args.startup_loop:
            bench.startup_loop(args.startup_loop)
            return
        rows = set(args.rows.split(","))
        log(f"work directory {bench.work}")
        version = subprocess.run(
            [str(bench.terraform), "version"], capture_output=True, text=True, env=bench.base_env()
        ).stdout.splitlines()[0]
        bench.results["machine"] = {
            "terraform": version,
            "nproc": os.cpu_count(),
            "load_before": os.getloadavg(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "commit": subprocess.run(
                ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True
            ).stdout.strip(),
        }
        if "handshake" in rows:
            bench.row_handshake()
            if args.perf:
                bench.perf_startups()
        if "plan" in rows:
            bench.row_plan(sizes, args.n)
        if "deploy" in rows:
            bench.row_deploy()
        if "fleet" in rows:
            bench.row_fleet()
        if "fleetcmd" in rows:
            bench.row_fleetcmd()
        bench.results["machine"]["load_after"] = os.getloadavg()
        print(bench.table())
        print(
            f"\n{version}; work tree at {bench.results['machine']['commit']}; {os.cpu_count()} CPUs; load average before {bench.results['machine']['load_before'][0]:.2f}, "
            f"after {bench.results['machine']['load_after'][0]:.2f}"
        )
        if args.perf:
            perf_text = []
            startup = bench.results.get("perf_startup")
            if startup:
                perf_text.append(f"\nperf: {args.perf_starts} provider start-ups ({startup['samples']} samples in all comms; {startup['comms']} shown)")
                perf_text += ["    " + l for l in startup["top"]]
                perf_text += ["  by DSO:"] + ["    " + l for l in startup["dso"]]
            main_plan = bench.results.get("plan", {}).get(args.n, {}).get("perf")
            if main_plan:
                for f in main_plan["files"]:
                    perf_text.append(f"\nperf: plan of {args.n} templates, {Path(f['file']).name} ({f['samples']} samples)")
                    perf_text += ["    " + l for l in f["top"]]
                    perf_text += ["  by DSO:"] + ["    " + l for l in f["dso"]]
                    perf_text += ["  by crate:"] + ["    " + l for l in f["crates"]]
                breakdown = main_plan.get("breakdown")
                if breakdown:
                    perf_text.append(
                        f"\nperf --call-graph dwarf: plan of {args.n} templates, the refreshing provider process "
                        f"({breakdown['samples']} samples), by stage (each sample to the stage nearest its leaf)"
                    )
                    perf_text += [f"    {pct:6.1f}%  {name}" for name, pct in breakdown["stages"]]
                    perf_text += ["  leaf in:"] + [f"    {pct:6.1f}%  {name}" for name, pct in breakdown["leaf"]]
            print("\n".join(perf_text))
        if args.json:
            Path(args.json).write_text(json.dumps(bench.results, indent=2, default=str))
    finally:
        if args.keep:
            log(f"kept {bench.work}")
        else:
            shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
