#!/usr/bin/env python3
"""Writes addresses.csv: the demo town Millbrook's address points, made up but plausible.

A town uses its own address file instead (its county or state 911 programme publishes one,
as GeoJSON or CSV; `town311-admin addresses load FILE` reads either). This script only shows
how the demo's was made, and makes the same file every time (no randomness):

- each street is a line through a few points (latitude, longitude) inside the wards of
  routing.json;
- lots are laid along it every LOT_SPACING_M metres, odd numbers on the left side and even on
  the right, each OFFSET_M metres off the centre line, numbered from the street's first point;
- a point that falls outside every ward (past the town line, on a ward boundary) is left out;
- a few lots on Main Street are apartment buildings with units.

Run it from anywhere: python3 infra/seed/addresses.py (stdlib only).
"""

import csv
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
LOT_SPACING_M = 160.0
OFFSET_M = 18.0
METRES_PER_DEGREE = 111_195.0

# Name, then the centre line as (lat, long) points.
STREETS = [
    ("Main Street", [(42.2661, -71.8370), (42.2652, -71.8250), (42.2666, -71.8100),
                     (42.2637, -71.8023), (42.2621, -71.7900), (42.2631, -71.7730)]),
    ("Oak Street", [(42.2690, -71.8050), (42.2880, -71.8062)]),
    ("Elm Street", [(42.2712, -71.8300), (42.2725, -71.7800)]),
    ("Maple Avenue", [(42.2800, -71.8250), (42.2822, -71.7850)]),
    ("Church Street", [(42.2680, -71.7950), (42.2860, -71.7930)]),
    ("Pine Street", [(42.2600, -71.8350), (42.2450, -71.8100)]),
    ("School Street", [(42.2550, -71.8370), (42.2561, -71.8060)]),
    ("Mill Road", [(42.2455, -71.8340), (42.2500, -71.8085)]),
    ("Water Street", [(42.2585, -71.7985), (42.2440, -71.7800)]),
    ("Pleasant Street", [(42.2552, -71.7975), (42.2540, -71.7735)]),
    ("Cedar Lane", [(42.2475, -71.7950), (42.2500, -71.7760)]),
]

# Main Street lots that are apartment buildings: number, units.
APARTMENTS = {11: 3, 24: 2, 45: 2}


def wards():
    """The ward polygons of routing.json, as lists of (long, lat) rings."""
    with open(os.path.join(HERE, "routing.json"), encoding="utf-8") as f:
        areas = json.load(f)["areas"]["features"]
    found = []
    for area in areas:
        if area["properties"]["code"].startswith("WARD"):
            geometry = area["geometry"]
            polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
            found.append((area["properties"]["code"], polygons))
    return found


def inside_ring(ring, x, y):
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def ward_of(all_wards, lat, long):
    """The one ward strictly inside which the point lies (None on a boundary or outside)."""
    hits = [code for code, polygons in all_wards
            if any(inside_ring(p[0], long, lat) and not any(inside_ring(h, long, lat) for h in p[1:])
                   for p in polygons)]
    return hits[0] if len(hits) == 1 else None


def lots(line):
    """(distance along, lat, long, left normal) every LOT_SPACING_M metres along a street."""
    cos = math.cos(math.radians(line[0][0]))
    to_m = lambda lat, long: (long * METRES_PER_DEGREE * cos, lat * METRES_PER_DEGREE)
    to_deg = lambda x, y: (y / METRES_PER_DEGREE, x / (METRES_PER_DEGREE * cos))
    points = [to_m(*p) for p in line]
    along, next_lot = 0.0, LOT_SPACING_M / 2
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        length = math.hypot(x2 - x1, y2 - y1)
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        while next_lot <= along + length:
            t = next_lot - along
            yield to_deg(x1 + ux * t, y1 + uy * t), (-uy, ux), to_deg
            next_lot += LOT_SPACING_M
        along += length


def addresses():
    all_wards = wards()
    rows = []
    for street, line in STREETS:
        for k, ((lat, long), (nx, ny), to_deg) in enumerate(lots(line)):
            for side, number in ((1, 2 * k + 1), (-1, 2 * k + 2)):
                dlat, dlong = to_deg(nx * OFFSET_M * side, ny * OFFSET_M * side)
                point = (round(lat + dlat, 6), round(long + dlong, 6))
                if ward_of(all_wards, *point) is None:
                    continue
                units = APARTMENTS.get(number, 0) if street == "Main Street" else 0
                for unit in [f"Apt {u}" for u in range(1, units + 1)] or [""]:
                    rows.append((number, street, unit, *point))
    return [(f"MB-{i + 1:04d}", *row) for i, row in enumerate(rows)]


def main():
    rows = addresses()
    with open(os.path.join(HERE, "addresses.csv"), "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "number", "street", "unit", "lat", "long"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} address points to addresses.csv")


if __name__ == "__main__":
    main()
