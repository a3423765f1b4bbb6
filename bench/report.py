"""Writes the bench report (Markdown and JSON) from the measurements in target/bench, checks
its performance targets, and turns the measured calls, units, durations and sizes into a
monthly AWS bill for a reference town.

Usage:
  report.py --target DIR --started EPOCH --timings "name=secs ..." --out bench/report/latest
  report.py --memory-sizes      # prints function=MB for each function, from template.yaml
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HTTP_FUNCTIONS = ["submit", "query", "update", "web"]
MB = 1_000_000
# The bill's and the artefacts' targets (the one-dollar town).
ZIP_LIMIT = 2.0 * MB
BILL_LIMIT = 1.00  # the reference town, a month at list prices, without the free tier or messages
IDLE_LIMIT = 0.10  # a month with no request, list prices
JOURNEY_WRU_LIMITS = {"submit + routing": 20, "status change": 8}
# Why a journey step's write units stay over its limit, from the meter's own account of them.
JOURNEY_WRU_GAPS = {
    "submit + routing": (
        "A submission is written once, routed, in one transaction (each item 2 WRU per KB): the ticket, its "
        "submitted and routed history entries, the reporter's contact item, then the rate-limit count; its index "
        "entries are 1 WRU each (the lists by requested and updated time, the department queue, the assignee's, "
        "due dates, nearby and the map; the contact's privacy index). After it, route writes the figures' count "
        "and the published-event marks. Without a single index entry, these items alone come to about 20 WRU: "
        "each is read back by a query template.yaml lists."),
    "status change": (
        "The ticket (2 WRU in the transaction) and its history entry (3, with its index entry) are 5; the rest "
        "is the ticket's index entries: the updated-time list, the department queue, the assignee's queue and "
        "the map sort by the last change, so every change moves their keys (2 WRU each), and the requested-time "
        "list, due dates and nearby entries are refreshed (1 each). Sorting those by a time that does not change "
        "would change the order staff and the Open311 lists see; narrowing a projection to keys saves 1 WRU an "
        "index and makes each listing read its tickets again (a BatchGetItem per 100)."),
}
# Per-message charges: the citizen's service, shown on their own line and left out of the bill's target.
MESSAGE_ITEMS = {"SES email"}

# List prices, us-east-1, on-demand, as published on aws.amazon.com/<service>/pricing (2024).
PRICES_DATE = "2024 list prices, us-east-1 (aws.amazon.com/<service>/pricing)"
PRICES = {
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "http_api_request": 1.00 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,
    "dynamodb_rru": 0.125 / 1e6,
    "dynamodb_storage_gb_month": 0.25,
    "dynamodb_pitr_gb_month": 0.20,
    "sns_publish": 0.50 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "ses_email": 0.10 / 1000,
    "s3_storage_gb_month": 0.023,
    "s3_glacier_ir_gb_month": 0.004,
    "s3_glacier_ir_transition": 0.02 / 1000,
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
    "logs_ingested_gb": 0.50,
    "logs_stored_gb_month": 0.03,
    "xray_trace": 5.00 / 1e6,
    "alarm_month": 0.10,
}
# The always-free tier (not the 12-month one), shown as a separate total only.
FREE = {
    "lambda_requests": 1e6,
    "lambda_gb_seconds": 400_000,
    "sns_publishes": 1e6,
    "sqs_requests": 1e6,
    "logs_ingested_gb": 5,
    "alarms": 10,
    "xray_traces": 100_000,
    "dynamodb_storage_gb": 25,
}

# The reference town: 50,000 residents, 2,000 requests a month, each with 5 status
# changes, 20 lookups, one photo, and an email for each public change.
TOWN = {"requests_per_month": 2000, "status_changes": 5, "lookups": 20, "photos": 1}
ASSUMPTIONS = [
    "Every invocation is a cold start (at a small town's volume most are): billed duration is the measured "
    "time from process start to the first response (Lambda bills a custom runtime's init), with its CPU part "
    "stretched by the CPU share of the function's memory (1,769 MB = one vCPU) and the rest (waiting on AWS) "
    "as measured against the emulator.",
    "Each request's reporter gives an email and hears of every public change (the created event and the 5 status "
    "changes); followers are left out.",
    "Each submission loads the citizen form once; each of the 20 lookups is a status page view. Every fetch "
    "is an API request; the web function serves each page and asset, the query function each API call: "
    "{web_views}. The form's API calls other than services.json are billed as invocations and requests; "
    "their reads (a few read units each) are not metered.",
    "Each status change is a staff action (POST /staff/v1/tickets/{id}/actions) and runs route (and notify, "
    "for a public change) once; route's own follow-up writes run it again, as measured.",
    "Photos: a photo is one browser upload to S3 (PUT), processed once by the photo function (billed as its "
    "measured cold start plus photo-bench's median for a 12-megapixel photo at 1,769 MB, one vCPU), kept as the "
    "photo and thumbnail photo-bench wrote ({photo_sizes}; 2 PUTs, one GET by processing), each shown once per "
    "lookup (GET), within the request's first months. Uploads expire after a day; {archive}.",
    "Each cold start of submit, query, route and notify loads the catalog once (one Query, counted in the "
    "read units per invocation); update reads one absent key to open its connection.",
    "DynamoDB storage and photos accumulate: the bill shown is month 12, holding a year of requests; request "
    "units are computed from item sizes (see the measurement notes), not read from the emulator.",
    "SQS: each event a polled queue carries is 3 requests (its send, Lambda's receive and delete), plus Lambda's "
    "idle long polling of each queue a function reads (template.yaml's SQS event sources: {polled}), about 5 "
    "pollers x 3 requests a minute (648,000 a month) per queue whatever the volume. Events delivered by Lambda's "
    "asynchronous invocation (SNS and S3 to the function) cost no SQS request.",
    "CloudWatch Logs: the measured application log bytes per invocation plus {platform_logs}; stored for "
    "LogRetentionDays (30: one month's volume).",
    "X-Ray: {tracing}",
    "Messages (SES emails; texts are the town's opt-in and not modelled) grow with the service a citizen gets, "
    "so the bill's target leaves them out and shows them on their own line. The idle month is a month with no "
    "request: what the stack costs while nothing happens.",
    "CloudWatch: the {alarms} alarms of template.yaml; its metric from log filters (Errors) is "
    "published only when something counts, so a good month bills none. The API's access log adds 250 bytes a request "
    "to the logs ingested.",
    "Not billed or negligible: DynamoDB stream reads by Lambda (free), SNS to Lambda delivery (free), Cognito "
    "(staff only, inside its free tier), KMS requests of the SNS topic's AWS-managed key, data transfer.",
]


def load_template():
    class Loader(yaml.SafeLoader):
        pass

    # `!Ref X` is kept as {"Ref": X} (a parameter's default is read through it); other tags as None.
    Loader.add_constructor("!Ref", lambda loader, node: {"Ref": loader.construct_scalar(node)})
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    with open(os.path.join(ROOT, "template.yaml")) as f:
        return yaml.load(f, Loader=Loader)


def resolved(template, value):
    """A template value, with a `!Ref` to a parameter read as that parameter's default."""
    if isinstance(value, dict) and "Ref" in value:
        return template.get("Parameters", {}).get(value["Ref"], {}).get("Default")
    return value


def tracing_active(template):
    """Whether X-Ray records every invocation as template.yaml deploys by default."""
    return resolved(template, template["Globals"]["Function"].get("Tracing")) == "Active"


def polled_functions(template):
    """The functions (by binary) whose events come from an SQS queue Lambda polls all month."""
    polled = []
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        events = (resource.get("Properties", {}).get("Events") or {}).values()
        if binary and any(e.get("Type") == "SQS" for e in events):
            polled.append(binary)
    return polled


# One API access log line (its JSON, about 220 bytes, and CloudWatch's 26 bytes per event).
ACCESS_LOG_BYTES = 250

# Lambda's own JSON platform records of one invocation (start, end, report), when they are sent.
PLATFORM_LOG_BYTES = 600


def platform_log_bytes(template):
    """Bytes of Lambda's platform records per successful invocation as template.yaml configures
    them: none at SystemLogLevel WARN, which drops the INFO-level start and report records."""
    logging = template["Globals"]["Function"].get("LoggingConfig") or {}
    return 0 if resolved(template, logging.get("SystemLogLevel")) == "WARN" else PLATFORM_LOG_BYTES


def api_access_logged(template):
    """Whether the HTTP API writes an access log line per request."""
    return any(
        (r.get("Properties") or {}).get("AccessLogSettings")
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::Serverless::HttpApi"
    )


def bucket_notifies_topics(template):
    """Whether the bucket tells a topic of its new objects (an SNS publish per upload)."""
    return any(
        (r.get("Properties", {}).get("NotificationConfiguration") or {}).get("TopicConfigurations")
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::S3::Bucket"
    )


def photo_archive_days(template):
    """After how many days template.yaml's lifecycle moves photos to Glacier Instant Retrieval, if it does."""
    for resource in template["Resources"].values():
        rules = ((resource.get("Properties") or {}).get("LifecycleConfiguration") or {}).get("Rules") or []
        for rule in rules:
            if rule.get("Status") == "Enabled" and str(rule.get("Prefix", "")).startswith("photos"):
                for t in rule.get("Transitions") or []:
                    if t.get("StorageClass") == "GLACIER_IR":
                        return t.get("TransitionInDays")
    return None


def memory_sizes(template):
    default = template["Globals"]["Function"].get("MemorySize", 128)
    sizes = {"hello": 128}
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        if binary:
            sizes[binary] = resource["Properties"].get("MemorySize", default)
    return sizes


STANDARD_MEMORY = [128, 256, 512, 1024, 1769]
# A citizen-facing cold start should spend at most this long on CPU in Lambda, where a function
# gets the CPU share of its memory (1,769 MB = one vCPU).
COLD_CPU_BUDGET_MS = 50


# Why template.yaml gives a function more than its cold start calls for, where its work needs it.
MEMORY_REASONS = {
    "inbound": "template.yaml gives inbound 256 MB for the mail it reads: a message of up to 25 MB is read whole "
               "and its photos decoded from it, where the cold start's event is an empty one. Not measured here.",
}


def suggested_memory(f, c, photo=None):
    """The memory the measurements call for: for HTTP functions the smallest standard size whose CPU
    share keeps the measured cold-start CPU (init plus the first request) within the budget; for the
    asynchronous ones, where nobody waits, 128 MB unless peak RSS needs more (with 4x headroom); for
    photo, whose single-threaded, CPU-bound work costs the same GB-s at any size, one full vCPU
    (1,769 MB), the fastest at that price, if its measured peak fits."""
    rss_mb = c["peak_rss_kb"]["max"] / 1024
    if f == "photo" and photo:
        return max(1769, next(m for m in STANDARD_MEMORY + [10240] if m >= 4 * photo["peak_rss_mb"]))
    floor = next(m for m in STANDARD_MEMORY if m >= 4 * rss_mb)
    if f not in HTTP_FUNCTIONS:
        return floor
    cpu = c["init_cpu_ms"]["median"] + c["first_invocation_cpu_ms"]["median"]
    fits = [m for m in STANDARD_MEMORY if cpu * 1769 / m <= COLD_CPU_BUDGET_MS]
    return max(floor, fits[0] if fits else STANDARD_MEMORY[-1])


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(), "arch": platform.machine()}


def load_average(target):
    try:
        with open(os.path.join(target, "bench", "loadavg.txt")) as f:
            return f.read().strip()
    except OSError:
        return "unknown"


def rustc():
    try:
        return subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def ceil_ms(x):
    return max(1, math.ceil(x))


def money(x):
    return f"${x:,.2f}" if x >= 0.01 or x == 0 else f"${x:,.4f}"


def page_fetches():
    """What the browser fetches for the form a submission loads (a first visit) and for a lookup's
    status page view (a returning browser), as the browser tests measure them: fetches.test.mjs
    fails when chromium fetches other than bench/page-fetches.json says. Web function invocations
    (the page and its assets) and API calls (the query function) for each, and their description."""
    f = json.load(open(os.path.join(ROOT, "bench", "page-fetches.json")))
    form, status = f["form_first"], f["status_returning"]
    form_api, status_api = f["form_first_api"], f["status_returning_api"]
    return form, status, form_api, status_api, (
        f"{form} web invocations for the form's first visit (the page, with its settings inside it, and its "
        f"assets) and {form_api} API calls as the citizen chooses a service and places the pin (the banner, "
        f"services.json, the service's definition, the nearest address, the open requests nearby); {status} "
        f"for a returning status page view (the page: assets are fingerprinted and kept) and {status_api} API "
        "call (the lookup), as the browser tests measure them (bench/page-fetches.json)")


def residual_note(ms):
    """What of a cold start's init CPU over the floor the steps measured in-process leave unexplained."""
    if ms < 0.2:
        return ""
    return (f"The other {ms:.1f} ms over the floor lies outside these steps: the larger binary's loading, and "
            "the early request's work past its first wait (signing and sending it, which the cold starts let run "
            "since the emulator answers). ")


def build(args):
    target_dir = args.target
    read = lambda name: json.load(open(os.path.join(target_dir, "bench", name)))
    sizes, cold, warm = read("sizes.json"), read("coldstart.json"), read("warm.json")
    photo_path = os.path.join(target_dir, "bench", "photo.json")
    photo = json.load(open(photo_path)) if os.path.exists(photo_path) else None
    init_path = os.path.join(target_dir, "bench", "init.json")
    init = json.load(open(init_path)) if os.path.exists(init_path) else None
    init_by = {i["function"]: {s["step"]: s["cpu_ms"]["median"] for s in i["steps"]} for i in (init or {}).get("functions", [])}
    template = load_template()
    memory = memory_sizes(template)
    alarms = sum(1 for r in template["Resources"].values() if r.get("Type") == "AWS::CloudWatch::Alarm")
    tracing = tracing_active(template)
    tracing_note = (
        "Tracing is Active in template.yaml; every invocation is counted as a recorded trace (upper bound)."
        if tracing else
        "Tracing is off by default in template.yaml (PassThrough); a town that turns it on pays $5 per million traces.")
    polled = polled_functions(template)
    access_logged = api_access_logged(template)
    archive_days = photo_archive_days(template)
    full_bytes = photo["full"]["bytes"] if photo else 430_000
    thumb_bytes = photo["thumbnail"]["bytes"] if photo else 30_000
    cold_by = {c["function"]: c for c in cold["functions"]}
    floor = cold_by["hello"]
    ops = {o["operation"]: o for o in warm["operations"]}
    handlers = warm["handlers"]
    functions = [f for f in sizes if f != "hello"]

    # ---- targets -------------------------------------------------------------------------
    targets = []

    def target(name, goal, measured, met, note=""):
        targets.append({"target": name, "goal": goal, "measured": measured, "met": met, "note": note})

    for f in functions:
        z = sizes[f]["arm64"]["zip_bytes"]
        sec = sizes[f]["arm64"].get("sections", {})
        relocated = sec.get(".data.rel.ro", 0) + sec.get(".rela.dyn", 0)
        note = ""
        if z > ZIP_LIMIT and sec:
            note = (
                f"bootstrap sections: code {sec.get('.text', 0) / MB:.2f} MB, constants {sec.get('.rodata', 0) / MB:.2f} MB, "
                f"relocated pointers and their relocations {relocated / MB:.2f} MB, unwind tables "
                f"{sec.get('.eh_frame', 0) / MB:.2f} MB. "
                + "Most of it is the AWS SDK (runtime, DynamoDB, S3), rustls with ring, and the Lambda runtime."
            )
        target(f"{f}: zip size (arm64)", f"<= {ZIP_LIMIT / MB:.1f} MB", f"{z / MB:.2f} MB", z <= ZIP_LIMIT, note)
    for f in functions:
        ratio = cold_by[f]["to_first_next_ms"]["median"] / floor["to_first_next_ms"]["median"]
        ratio99 = cold_by[f]["to_first_next_ms"]["p99"] / floor["to_first_next_ms"]["p99"]
        target(
            f"{f}: cold start to first next vs floor",
            "<= 1.5x hello-world (median)",
            f"{ratio:.2f}x median ({cold_by[f]['to_first_next_ms']['median']:.1f} vs "
            f"{floor['to_first_next_ms']['median']:.1f} ms), {ratio99:.2f}x p99",
            ratio <= 1.5,
            "" if ratio <= 1.5 else
            f"init CPU {cold_by[f]['init_cpu_ms']['median']:.1f} ms against the floor's "
            f"{floor['init_cpu_ms']['median']:.1f} ms. "
            + (f"Step by step (\"Init, step by step\" above): the AWS SDK clients and the function's state "
               f"{init_by[f]['adapters and state']:.2f} ms, the connection it opens ahead (the catalog load, "
               f"run to its first wait) {init_by[f]['connection ahead']:.2f} ms, the log subscriber, settings and "
               f"SDK configuration {init_by[f]['log subscriber'] + init_by[f]['settings'] + init_by[f]['SDK configuration']:.2f} ms together. "
               + residual_note(cold_by[f]['init_cpu_ms']['median'] - floor['init_cpu_ms']['median']
                               - sum(v for k, v in init_by[f].items() if k != 'before main'))
               if f in init_by else "")
            + "The SDK clients are built once per "
            "cold start, only those the function uses; building them after the first `next`, or not opening the "
            "connection ahead, would move this CPU into the first request (where the TLS handshake would then "
            "wait too), not save it: Lambda bills init and the first request alike.",
        )
    for f in HTTP_FUNCTIONS:
        rss = cold_by[f]["peak_rss_kb"]["max"] / 1024
        target(f"{f}: peak RSS", "<= 24 MB (MiB)", f"{rss:.1f} MiB (max of {cold_by[f]['runs']} starts)", rss <= 24)
    for h in handlers:
        if h["function"] in HTTP_FUNCTIONS:
            p99 = h["cpu_ms"]["p99"]
            target(
                f"{h['function']}: handler CPU, {h['operation']}",
                "<= 1 ms p99 (excluding AWS calls)",
                f"{p99:.3f} ms p99, {h['cpu_ms']['median']:.3f} ms median",
                p99 <= 1.0,
            )
    for f in functions:
        c = cold_by[f]
        want = suggested_memory(f, c, photo)
        cpu = c["init_cpu_ms"]["median"] + c["first_invocation_cpu_ms"]["median"]
        target(
            f"{f}: memory chosen from measurement",
            "template.yaml MemorySize = the size the measurements call for",
            f"{memory[f]} MB in template.yaml; measured cold CPU {cpu:.1f} ms (x{1769 / memory[f]:.1f} in Lambda at "
            f"{memory[f]} MB = {cpu * 1769 / memory[f]:.0f} ms), peak RSS {c['peak_rss_kb']['max'] / 1024:.1f} MiB; "
            f"calls for {want} MB",
            memory[f] == want,
            MEMORY_REASONS.get(f, "") if memory[f] != want else "",
        )
    submit = ops["submit"]["dynamodb"]
    target(
        "submit: DynamoDB write calls",
        "<= 1 (a transaction counts as one)",
        f"{submit['write_calls']} ({', '.join(f'{k} {v}' for k, v in submit['calls'].items())})",
        submit["write_calls"] <= 1,
        "reads before the write: " + str(submit["read_calls"]),
    )
    lookup = ops["lookup (GET requests/{id}.json)"]["dynamodb"]
    target(
        "lookup: DynamoDB read calls",
        "<= 1",
        f"{lookup['read_calls']} ({', '.join(f'{k} {v}' for k, v in lookup['calls'].items())})",
        lookup["read_calls"] <= 1,
        "The ticket is the one read: the department's name and contact come from the catalog the query "
        "function loaded at its cold start (one Query, see \"catalog load\" below) and keeps for a minute."
        if lookup["read_calls"] <= 1 else
        "GET requests/{id}.json reads the ticket, then its department for the department's name and contact.",
    )
    connecting = [f for f in functions if cold_by[f].get("runs_connecting_to_aws")]
    early = {f: (cold_by[f]["runs_connected_during_init"], cold_by[f]["runs_connecting_to_aws"]) for f in connecting}
    waits = [f for f in connecting if f != "photo"]
    target(
        "no TLS handshake on the first request",
        "clients connect during init when they can",
        "; ".join(f"{f}: {a} of {n} starts" for f, (a, n) in early.items())
        + " opened their AWS connection before asking for the first event",
        all(early[f][0] == early[f][1] for f in waits),
        "Submit, query, route and notify start loading the catalog at init and update reads one absent key, in "
        "the background, so the connection (in AWS, with its TLS handshake) opens while the first event is "
        "fetched; the forwarder in front of the emulator notes when each connection opens. Init never waits on "
        "the network, so the connection races the first `next`: a start counted out opened it just after. "
        "Photo connects on its first upload: its first call is to S3, asynchronous, and nobody waits on it. "
        + "First and second request, median: " + "; ".join(
            f"{f} {cold_by[f]['to_first_response_ms']['median'] - cold_by[f]['to_first_next_ms']['median']:.1f} "
            f"/ {cold_by[f]['second_invocation_ms']['median']:.1f} ms"
            for f in HTTP_FUNCTIONS if cold_by[f].get("second_invocation_ms")) + ".",
    )

    # ---- cost model ----------------------------------------------------------------------
    def billed_ms(f):
        c = cold_by[f]
        wall = c["to_first_response_ms"]["median"]
        cpu = c["init_cpu_ms"]["median"] + c["first_invocation_cpu_ms"]["median"]
        share = min(1.0, memory[f] / 1769)
        work = photo["median_ms"] / share if f == "photo" and photo else 0.0  # one vCPU measured
        return ceil_ms(max(0.0, wall - cpu) + cpu / share + work)

    platform_logs = platform_log_bytes(template)

    def log_bytes(f):
        return cold_by[f]["log_bytes_init_and_first"]["median"] + platform_logs

    n_status, n_lookups = TOWN["status_changes"], TOWN["lookups"]
    form_web, status_web, form_api, status_api, web_views = page_fetches()
    # Per reference request: how many of each thing.
    invocations = {
        "submit": 1,
        "query": form_api + n_lookups * status_api,
        "update": n_status,
        "web": form_web + n_lookups * status_web,
        "route": ops["route after submit"].get("invocations", 1) + n_status * ops["route after status change"].get("invocations", 1),
        "notify": (1 if "notify after submit" in ops else 0) + n_status * (1 if "notify after status change" in ops else 0),
    }
    if "photo" in cold_by and photo:
        invocations["photo"] = TOWN["photos"]
    api_requests = 1 + invocations["query"] + n_status + invocations["web"]
    dyn_ops = [("submit", 1), ("route after submit", 1), ("notify after submit", 1),
               ("catalog (GET services.json)", 1), ("lookup (GET requests/{id}.json)", n_lookups),
               ("status change (set_status)", n_status), ("route after status change", n_status),
               ("notify after status change", n_status)]
    wru = sum(ops[o]["dynamodb"]["write_units"] * k for o, k in dyn_ops if o in ops)
    rru = sum(ops[o]["dynamodb"]["read_units"] * k for o, k in dyn_ops if o in ops)
    # Every invocation is a cold start: the catalog load of those that keep it, update's
    # connection read (0.5 RRU).
    catalog_load = ops.get("catalog load (at each cold start of submit, query, route, notify)")
    if catalog_load:
        rru += catalog_load["dynamodb"]["read_units"] * sum(invocations[f] for f in ["submit", "query", "route", "notify"])
    rru += 0.5 * invocations["update"]
    publishes = sum(ops[o]["sns_publishes"] * k for o, k in dyn_ops if o in ops)
    emails = sum(ops[o]["emails"] * k for o, k in dyn_ops if o in ops)
    public_events = sum(ops[o].get("messages_in", 0) * k for o, k in dyn_ops if o in ops)
    # Stored bytes per request, a year on: each ticket item as last written (the ticket, its
    # history entries) with DynamoDB's 100 bytes of overhead, and its entries in the indexes it
    # belongs to, as the meter saw them written (keys and projected attributes, 100 bytes each).
    # The ticket is taken as the journey last wrote it, still open and so in more indexes than a
    # closed one: an upper bound. Point-in-time recovery bills the table's items only (DynamoDB
    # bills it on table data and local secondary indexes; the table has none).
    stored = {}
    for o, k in dyn_ops:
        if o not in ops:
            continue
        d = ops[o]["dynamodb"]
        if "written_index_bytes" not in d:
            sys.exit("report.py: the measurements predate index storage; run make bench again")
        for (pk, sk), size, in_indexes in zip(d["written"], d["written_bytes"], d["written_index_bytes"]):
            if pk.startswith("TICKET#"):
                # One ticket item, whoever wrote it last; each repeated operation adds its own entries.
                key, count = (sk, 1) if sk == "TICKET" or k == 1 else (f"{sk}@{o}", k)
                stored[key] = (size + 100, in_indexes, count)
    table_bytes = sum(size * count for size, _, count in stored.values())
    bytes_per_request = table_bytes + sum(in_indexes * count for _, in_indexes, count in stored.values())
    per_request_gb_s = sum(invocations[f] * memory[f] / 1024 * billed_ms(f) / 1000 for f in invocations)
    per_request_logs = sum(invocations[f] * log_bytes(f) for f in invocations)
    lambda_invocations = sum(invocations.values())

    def bill(scale):
        r = TOWN["requests_per_month"] * scale
        gb_year = lambda per: per * r * 12 / 1e9
        table_gb = gb_year(bytes_per_request)
        backed_up_gb = gb_year(table_bytes)
        # A year of photos at month 12: the full photo (over 128 KB) moves to Glacier Instant
        # Retrieval after the lifecycle's days, the thumbnail stays.
        recent = min(12.0, archive_days / 30) if archive_days else 12.0
        photo_gb = gb_year(thumb_bytes * TOWN["photos"]) + gb_year(full_bytes * TOWN["photos"]) * recent / 12
        archived_gb = gb_year(full_bytes * TOWN["photos"]) * (12 - recent) / 12
        transitions = TOWN["photos"] * r if archive_days else 0
        logs_gb = (per_request_logs + api_requests * ACCESS_LOG_BYTES * access_logged) * r / 1e9
        sqs_requests = (
            3 * public_events * r * ("notify" in polled)
            + 3 * TOWN["photos"] * r * ("photo" in polled)
            + 648_000 * len(polled)
        )
        upload_notices = TOWN["photos"] * r if bucket_notifies_topics(template) else 0
        lines = [
            ("Lambda compute (arm64 GB-s)", per_request_gb_s * r, "GB-s", PRICES["lambda_gb_second_arm64"], "lambda_gb_seconds"),
            ("Lambda requests", lambda_invocations * r, "invocations", PRICES["lambda_request"], "lambda_requests"),
            ("API Gateway HTTP API", api_requests * r, "requests", PRICES["http_api_request"], None),
            ("DynamoDB writes (on-demand)", wru * r, "WRU", PRICES["dynamodb_wru"], None),
            ("DynamoDB reads (on-demand)", rru * r, "RRU", PRICES["dynamodb_rru"], None),
            ("DynamoDB storage (a year of requests)", table_gb, "GB-month", PRICES["dynamodb_storage_gb_month"], "dynamodb_storage_gb"),
            ("DynamoDB point-in-time recovery (table data, not indexes)", backed_up_gb, "GB-month",
             PRICES["dynamodb_pitr_gb_month"], None),
            ("SNS publishes (ticket events, upload notices)", publishes * r + upload_notices, "publishes",
             PRICES["sns_publish"], "sns_publishes"),
            ("SQS (polled queues, incl. idle polling)", sqs_requests, "requests", PRICES["sqs_request"], "sqs_requests"),
            ("SES email", emails * r, "emails", PRICES["ses_email"], None),
            ("S3 photo storage (a year of photos)", photo_gb, "GB-month", PRICES["s3_storage_gb_month"], None),
            ("S3 Glacier Instant Retrieval (photos past their first months)", archived_gb, "GB-month",
             PRICES["s3_glacier_ir_gb_month"], None),
            ("S3 lifecycle transitions (photos archived)", transitions, "requests",
             PRICES["s3_glacier_ir_transition"], None),
            ("S3 PUT (upload, photo, thumbnail)", 3 * TOWN["photos"] * r, "requests", PRICES["s3_put"], None),
            ("S3 GET (processing, views)", (1 + n_lookups) * TOWN["photos"] * r, "requests", PRICES["s3_get"], None),
            ("CloudWatch Logs ingestion", logs_gb, "GB", PRICES["logs_ingested_gb"], "logs_ingested_gb"),
            ("CloudWatch Logs storage (30 days)", logs_gb, "GB-month", PRICES["logs_stored_gb_month"], None),
            ("X-Ray traces (Tracing: Active)" if tracing else "X-Ray traces (off by default)",
             lambda_invocations * r * tracing, "traces", PRICES["xray_trace"], "xray_traces"),
            ("CloudWatch alarms", alarms, "alarms", PRICES["alarm_month"], "alarms"),
        ]
        items, total, total_free, messages = [], 0.0, 0.0, 0.0
        for name, quantity, unit, price, free_key in lines:
            cost = quantity * price
            free_cost = max(0.0, quantity - FREE.get(free_key, 0)) * price if free_key else cost
            total += cost
            total_free += free_cost
            messages += cost if name in MESSAGE_ITEMS else 0.0
            items.append({"item": name, "quantity": quantity, "unit": unit, "unit_price": price,
                          "monthly": cost, "monthly_with_free_tier": free_cost, "message": name in MESSAGE_ITEMS})
        return {"requests_per_month": r, "items": items, "total": total, "total_with_free_tier": total_free,
                "messages": messages, "total_without_messages": total - messages,
                "per_request_without_messages": (total - messages) / r if r else None}

    platform_note = (
        f"{platform_logs} bytes of Lambda's own JSON platform records (start, report)" if platform_logs else
        "none of Lambda's own platform records: template.yaml's SystemLogLevel WARN drops the start and report "
        "records of an invocation that succeeds (a failed one is still caught: an API answer of 500 or more in "
        "the access log, the function's ERROR lines, the dead-letter queue and the stream's age)")
    cost = {
        "prices": PRICES_DATE,
        "unit_prices": PRICES,
        "always_free_tier": FREE,
        "town": TOWN,
        "assumptions": [a.replace("{web_views}", web_views).replace("{polled}", ", ".join(polled) or "none").replace("{tracing}", tracing_note)
                        .replace("{platform_logs}", platform_note).replace("{alarms}", str(alarms))
                        .replace("{photo_sizes}", f"{full_bytes / 1000:.0f} KB and {thumb_bytes / 1000:.0f} KB")
                        .replace("{archive}", f"the full photo moves to Glacier Instant Retrieval after {archive_days} days "
                                 "(one transition request each)" if archive_days else "photos stay in S3 Standard")
                        for a in ASSUMPTIONS],
        "per_request": {
            "lambda_invocations": invocations,
            "api_requests": api_requests,
            "dynamodb_wru": wru,
            "dynamodb_rru": rru,
            "sns_publishes": publishes,
            "emails": emails,
            "stored_bytes": bytes_per_request,
            "stored_table_bytes": table_bytes,
            "log_bytes": per_request_logs,
            "billed_ms_per_invocation": {f: billed_ms(f) for f in invocations},
            "memory_mb": {f: memory[f] for f in invocations},
        },
        "scales": {f"{s}x": bill(s) for s in (1, 10, 100)},
        "idle": bill(0),
    }

    # ---- the bill's targets ------------------------------------------------------------
    wru_of = lambda o: ops[o]["dynamodb"]["write_units"] if o in ops else 0
    journey = {
        "submit + routing": (wru_of("submit") + wru_of("route after submit"),
                             f"submit {wru_of('submit'):g} + route after submit {wru_of('route after submit'):g}"),
        "status change": (wru_of("status change (set_status)"),
                          f"set_status {wru_of('status change (set_status)'):g}; then route "
                          f"{wru_of('route after status change'):g} and notify {wru_of('notify after status change'):g}"),
    }
    for step, limit in JOURNEY_WRU_LIMITS.items():
        units, detail = journey[step]
        target(f"write units: {step}", f"<= {limit} WRU", f"{units:g} WRU ({detail})", units <= limit,
               "" if units <= limit else JOURNEY_WRU_GAPS[step])
    one = cost["scales"]["1x"]
    target(
        "bill: the reference town, without messages",
        f"<= ${BILL_LIMIT:.2f} a month at list prices, no free tier",
        f"{money(one['total_without_messages'])} (messages {money(one['messages'])} on their own line; "
        f"{money(one['per_request_without_messages'] * 1000)} per 1,000 requests)",
        one["total_without_messages"] <= BILL_LIMIT,
        "largest items: " + ", ".join(
            f"{i['item']} {money(i['monthly'])}"
            for i in sorted((i for i in one["items"] if not i["message"]), key=lambda i: -i["monthly"])[:4]),
    )
    idle = cost["idle"]
    target(
        "bill: an idle month",
        f"<= ${IDLE_LIMIT:.2f} at list prices",
        money(idle["total"]),
        idle["total"] <= IDLE_LIMIT,
        "what is left: " + (", ".join(f"{i['item']} {money(i['monthly'])}" for i in idle["items"] if i["monthly"] > 0)
                           or "nothing") + ("" if idle["total"] <= IDLE_LIMIT else
        ". Watching the town's pipeline takes three alarms (errors, counted from the logs into one metric; the one "
        "dead-letter queue; the stream falling behind), each $0.10 a month at list prices, so an idle month cannot "
        "cost less than $0.30 while every queue and stream is watched; the always-free tier's ten alarms make it "
        "$0.00."),
    )

    timings = dict(t.split("=") for t in args.timings.split()) if args.timings else {}
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_average_before_cold_starts": load_average(args.target),
        "rustc": rustc(),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
        "wall_seconds": int(now.timestamp()) - int(args.started),
        "step_seconds": {k: int(v) for k, v in timings.items()},
        "memory_mb": memory,
        "sizes": sizes,
        "coldstart": cold,
        "photo": photo,
        "init": init,
        "warm": warm,
        "targets": targets,
        "cost": cost,
    }


def markdown(r):
    m = r["machine"]
    cold = {c["function"]: c for c in r["coldstart"]["functions"]}
    floor = cold["hello"]
    out = []
    w = out.append
    w("# town311 benchmark report\n")
    w(f"Measured {r['date']} on {m['cores']} cores ({m['cpu']}, {m['arch']}, Linux {m['kernel']}), {r['rustc']}, "
      f"commit {r['commit']}; load average {r['load_average_before_cold_starts']} (1, 5, 15 min) as the cold "
      f"starts began (the machine is shared; CPU times below are the process's own). `make bench` took {r['wall_seconds']} s "
      f"({', '.join(f'{k} {v} s' for k, v in r['step_seconds'].items())}).\n")
    met = sum(t["met"] for t in r["targets"])
    one = r["cost"]["scales"]["1x"]
    w(f"**Targets: {met} of {len(r['targets'])} met.** Monthly bill of the reference town (2,000 requests): "
      f"**{money(one['total_without_messages'])}** at list prices without the free tier, plus "
      f"{money(one['messages'])} of messages ({money(one['total'])} in all; "
      f"{money(one['total_with_free_tier'])} with the always-free tier); an idle month "
      f"{money(r['cost']['idle']['total'])}; 10x {money(r['cost']['scales']['10x']['total'])}, "
      f"100x {money(r['cost']['scales']['100x']['total'])}.\n")

    w("## Per function\n")
    w("Artefacts as `cargo lambda build --release --arm64` builds them, every function in one build (`sam build`, "
      "which deploys them, builds each function on its own, so a dependency they share may be built with only the "
      "features that function needs: the deployed binary can differ slightly), and as "
      "`cargo build --release` builds them for x86-64; zips are deflated as `sam build` packages them. Cold "
      f"starts: the x86-64 release binary, {r['coldstart']['runs']} starts each, timed from spawn to its first "
      "`GET …/invocation/next` (init done) and to its first `POST …/response` (init plus one representative "
      "event, whose AWS calls go to the emulator: moto, in Python, takes 5-200 ms a call here where DynamoDB "
      "takes a few, so the first response is an upper bound); peak RSS is VmHWM after the first response. `hello` is a "
      "bare `lambda_runtime` function with the same release profile: the floor.\n")
    w("| function | memory | bootstrap arm64 | zip arm64 | zip x86-64 | to first next, median / p99 | vs floor | to first response, median / p99 | init CPU | peak RSS (max) |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for f in ["hello"] + [f for f in r["sizes"] if f != "hello"]:
        s, c = r["sizes"][f], cold[f]
        ratio = c["to_first_next_ms"]["median"] / floor["to_first_next_ms"]["median"]
        w(f"| {f} | {r['memory_mb'].get(f, '–')} MB | {s['arm64']['bootstrap_bytes'] / MB:.2f} MB | "
          f"{s['arm64']['zip_bytes'] / MB:.2f} MB | {s['x86_64']['zip_bytes'] / MB:.2f} MB | "
          f"{c['to_first_next_ms']['median']:.1f} / {c['to_first_next_ms']['p99']:.1f} ms | {ratio:.2f}x | "
          f"{c['to_first_response_ms']['median']:.1f} / {c['to_first_response_ms']['p99']:.1f} ms | "
          f"{c['init_cpu_ms']['median']:.1f} ms | {c['peak_rss_kb']['max'] / 1024:.1f} MiB |")
    w("")
    w("Representative events: query `GET /open311/v2/services.json`; submit a form-encoded pothole report with "
      "an email; update a citizen following a request; web the citizen form page; route a stream batch with a "
      "new ticket's first history entry (it routes the ticket and publishes its event); notify an SNS delivery of "
      "a created event (an email to the reporter); photo an event without a record (its init alone: its work is measured "
      "below). HTTP functions get the same event twice; the second is warm. \"AWS connection during init\" "
      "counts the starts whose first connection to the emulator opened before their first `next`:\n")
    w("| function | first request (cold, after init) | second request (warm) | AWS connection during init | logs: init + first request | logs: warm request |")
    w("|---|---|---|---|---|---|")
    for f in [f for f in r["sizes"] if f != "hello"]:
        c = cold[f]
        first = c["to_first_response_ms"]["median"] - c["to_first_next_ms"]["median"]
        second = c.get("second_invocation_ms") or {}
        warm_logs = c.get("log_bytes_warm_request") or {}
        connected = (f"{c['runs_connected_during_init']} of {c['runs_connecting_to_aws']}"
                     if c.get("runs_connecting_to_aws") else "no AWS call")
        w(f"| {f} | {first:.1f} ms | {second.get('median', float('nan')):.1f} ms | {connected} | "
          f"{c['log_bytes_init_and_first']['median']:.0f} B | {warm_logs.get('median', float('nan')):.0f} B |")
    w("")

    ini = r.get("init")
    if ini:
        steps = [s["step"] for s in ini["functions"][0]["steps"]]
        w("## Init, step by step\n")
        w(f"`bench init`: {ini['functions'][0]['runs']} fresh processes per function, each doing what the "
          "function's `main` does before its first `next`, in order, with the CPU time of each step (median, ms). "
          "\"before main\" is the process's CPU when `main` begins (loading the binary; here the bench harness, "
          "which links every function: an upper bound); \"connection ahead\" runs the catalog load (update: one "
          "absent key) each function starts at init to its first wait, against a closed port.\n")
        w("| function | " + " | ".join(steps) + " | total |")
        w("|---|" + "---|" * (len(steps) + 1))
        for fn in ini["functions"]:
            vals = [s["cpu_ms"]["median"] for s in fn["steps"]]
            w(f"| {fn['function']} | " + " | ".join(f"{v:.2f}" for v in vals) + f" | {sum(vals):.2f} |")
        w("")

    p = r.get("photo")
    if p:
        w("## Photo processing\n")
        w(f"`photo-bench` (release, x86-64, one core): a {p['input']['width']} x {p['input']['height']} JPEG with "
          f"EXIF, processed {p['runs']} times: median {p['median_ms']:.0f} ms, slowest "
          f"{p['max_ms']:.0f} ms, peak RSS {p['peak_rss_mb']:.0f} MB.\n")

    w("## Warm handlers, in-process\n")
    w(f"Each handler called {r['warm']['iterations']} times (after a warm-up) with hand-built API Gateway "
      "requests and the in-memory adapters, so no AWS call is made: this is the handler's own CPU per request "
      "(thread CPU time; wall time alongside). Release profile, x86-64.\n")
    w("| function | operation | CPU median | CPU p99 | wall median | wall p99 |")
    w("|---|---|---|---|---|---|")
    for h in r["warm"]["handlers"]:
        w(f"| {h['function']} | {h['operation']} | {h['cpu_ms']['median'] * 1000:.0f} µs | "
          f"{h['cpu_ms']['p99'] * 1000:.0f} µs | {h['wall_ms']['median'] * 1000:.0f} µs | {h['wall_ms']['p99'] * 1000:.0f} µs |")
    w("")

    w("## AWS calls per operation\n")
    w("One resident's journey through the real DynamoDB adapter against the emulator, with a meter on the "
      "DynamoDB client: each call, and the request units DynamoDB on-demand would bill, **computed** from the "
      "items written and read (1 WRU per started KB per table write, 2 inside a transaction; per global "
      "secondary index, 1 WRU per started KB of the entry as template.yaml projects it when the write adds, "
      "removes or changes the entry, 2 writes when it moves the entry's index key, none when it leaves the "
      "entry as it was; 0.5 RRU per started 4 KB eventually consistent read, 1 consistent; BatchGetItem "
      "rounds each item). Route and notify run on what the stream and "
      "the queue would hand them; SNS publishes and emails are counted at their ports.\n")
    w("| operation | DynamoDB calls | reads | writes | RRU | WRU | SNS publishes | emails |")
    w("|---|---|---|---|---|---|---|---|")
    for o in r["warm"]["operations"]:
        d = o["dynamodb"]
        calls = ", ".join(f"{k} {v}" for k, v in d["calls"].items()) or "–"
        w(f"| {o['operation']} | {calls} | {d['read_calls']} | {d['write_calls']} | {d['read_units']:g} | "
          f"{d['write_units']:g} | {o['sns_publishes']} | {o['emails']} |")
    w("")

    w("## Targets\n")
    w("| target | goal | measured | met |")
    w("|---|---|---|---|")
    for t in r["targets"]:
        w(f"| {t['target']} | {t['goal']} | {t['measured']} | {'met' if t['met'] else '**not met**'} |")
    w("")
    gaps = [t for t in r["targets"] if not t["met"] or t["note"]]
    if gaps:
        w("Notes on the targets:\n")
        for t in gaps:
            if t["note"]:
                w(f"- **{t['target']}**: {t['note']}")
        w("")

    out.extend(bill_section(r))
    return "\n".join(out)


def bill_section(r):
    out = []
    w = out.append
    c = r["cost"]
    mem = c["per_request"]["memory_mb"]
    w("## Monthly bill\n")
    w(f"Prices: {c['prices']}. Reference town: 50,000 residents, {c['town']['requests_per_month']:,} requests a "
      f"month, each with {c['town']['status_changes']} status changes, {c['town']['lookups']} lookups, "
      f"{c['town']['photos']} photo and an email for each public change; then 10x and 100x. Per request: "
      f"{sum(c['per_request']['lambda_invocations'].values())} Lambda invocations "
      f"({', '.join(f'{k} {v}' for k, v in c['per_request']['lambda_invocations'].items())}), "
      f"{c['per_request']['api_requests']} API requests, {c['per_request']['dynamodb_wru']:g} WRU, "
      f"{c['per_request']['dynamodb_rru']:g} RRU, {c['per_request']['sns_publishes']} SNS publishes, "
      f"{c['per_request']['emails']} emails, {c['per_request']['stored_bytes'] / 1000:.1f} KB stored, "
      f"{c['per_request']['log_bytes'] / 1000:.1f} KB of logs. Billed duration per (cold) invocation: "
      + ", ".join(f"{k} {v} ms at {mem[k]} MB" for k, v in c["per_request"]["billed_ms_per_invocation"].items()) + ".\n")
    scales = {"idle month": c["idle"], **c["scales"]} if "idle" in c else c["scales"]
    w("| item | " + " | ".join(f"{s} ({scales[s]['requests_per_month']:,} requests)" for s in scales) + " |")
    w("|---|" + "---|" * len(scales))
    for i, item in enumerate(scales["1x"]["items"]):
        if item.get("message"):
            continue
        cells = []
        for s in scales:
            it = scales[s]["items"][i]
            q = it["quantity"]
            qty = f"{q:,.0f}" if q >= 100 else f"{q:,.3g}"
            cells.append(f"{money(it['monthly'])} ({qty} {it['unit']})")
        w(f"| {item['item']} | " + " | ".join(cells) + " |")
    if "total_without_messages" in scales["1x"]:
        w("| **total without messages, list prices** | "
          + " | ".join(f"**{money(scales[s]['total_without_messages'])}**" for s in scales) + " |")
        w("| per request, without messages | " + " | ".join(
            money(scales[s]["per_request_without_messages"]) if scales[s]["per_request_without_messages"] else "–"
            for s in scales) + " |")
    for i, item in enumerate(scales["1x"]["items"]):
        if item.get("message"):
            cells = [f"{money(scales[s]['items'][i]['monthly'])} ({scales[s]['items'][i]['quantity']:,.0f} "
                     f"{scales[s]['items'][i]['unit']})" for s in scales]
            w(f"| messages: {item['item']} | " + " | ".join(cells) + " |")
    w("| **total, list prices** | " + " | ".join(f"**{money(scales[s]['total'])}**" for s in scales) + " |")
    w("| total with the always-free tier | " + " | ".join(money(scales[s]["total_with_free_tier"]) for s in scales) + " |")
    w("")
    w("Assumptions:\n")
    for a in c["assumptions"]:
        w(f"- {a}")
    w("")
    w("Always-free tier used for the second total: " + ", ".join(f"{k} {v:,.0f}" for k, v in c["always_free_tier"].items())
      + ". The 12-month free tier (API Gateway, S3, SES) is left out.\n")
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--memory-sizes", action="store_true")
    p.add_argument("--target")
    p.add_argument("--started", default="0")
    p.add_argument("--timings", default="")
    p.add_argument("--out")
    p.add_argument("--cost-only", action="store_true", help="print the bill from the last measurements")
    args = p.parse_args()
    if args.memory_sizes:
        print(",".join(f"{k}={v}" for k, v in memory_sizes(load_template()).items()))
        return
    if args.cost_only:
        if not os.path.exists(os.path.join(args.target or "", "bench", "warm.json")):
            sys.exit("report.py: no measurements in target/bench yet; run `make bench` first")
        print("\n".join(bill_section(build(args))))
        return
    if not (args.target and args.out):
        sys.exit("report.py: --target and --out are required")
    report = build(args)
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=2)
    with open(args.out + ".md", "w") as f:
        f.write(markdown(report))
    for t in report["targets"]:
        print(f"  {'met    ' if t['met'] else 'NOT MET'} {t['target']}: {t['measured']}")
    print(f"  bill: {money(report['cost']['scales']['1x']['total_without_messages'])} a month at list prices without "
          f"messages, {money(report['cost']['scales']['1x']['total'])} with them, idle {money(report['cost']['idle']['total'])} "
          f"(10x {money(report['cost']['scales']['10x']['total'])}, 100x {money(report['cost']['scales']['100x']['total'])})")


if __name__ == "__main__":
    main()
