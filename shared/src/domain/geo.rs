//! Plane geometry on WGS84 points, as routing and duplicate detection need it: distances,
//! geohash cells (the nearby index) and point-in-polygon (routing areas).

use crate::domain::location::GeoPoint;

/// Mean Earth radius, in metres (the haversine distance's sphere).
const EARTH_RADIUS_M: f64 = 6_371_008.8;
const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// The great-circle distance between two points, in metres.
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat().to_radians(), b.lat().to_radians());
    let dlat = lat2 - lat1;
    let dlong = (b.long() - a.long()).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlong / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The geohash of a point, `precision` characters long (1 to 12).
pub fn geohash(point: GeoPoint, precision: usize) -> String {
    let precision = precision.clamp(1, 12);
    let (mut lat, mut long) = ((-90.0_f64, 90.0_f64), (-180.0_f64, 180.0_f64));
    let mut hash = String::with_capacity(precision);
    let (mut bits, mut value, mut even) = (0, 0usize, true);
    while hash.len() < precision {
        let (range, coordinate) = if even { (&mut long, point.long()) } else { (&mut lat, point.lat()) };
        let middle = (range.0 + range.1) / 2.0;
        value <<= 1;
        if coordinate >= middle {
            value |= 1;
            range.0 = middle;
        } else {
            range.1 = middle;
        }
        even = !even;
        bits += 1;
        if bits == 5 {
            hash.push(char::from(BASE32[value]));
            (bits, value) = (0, 0);
        }
    }
    hash
}

/// The size of a geohash cell of `precision` characters, in degrees (latitude, longitude).
pub fn cell_degrees(precision: usize) -> (f64, f64) {
    let bits = 5 * precision.clamp(1, 12) as i32;
    let long_bits = (bits + 1) / 2;
    let lat_bits = bits / 2;
    (180.0 / 2f64.powi(lat_bits), 360.0 / 2f64.powi(long_bits))
}

/// Every geohash cell of `precision` characters that a circle of `radius_m` around `center`
/// touches (those of its bounding box), without repeats.
pub fn cells_around(center: GeoPoint, radius_m: f64, precision: usize) -> Vec<String> {
    // A NaN radius would never reach the loops' ends; a negative one means just the center.
    let radius_m = if radius_m.is_nan() { 0.0 } else { radius_m.max(0.0) };
    let dlat = (radius_m / EARTH_RADIUS_M).to_degrees();
    let cos = center.lat().to_radians().cos().max(0.01);
    let dlong = (dlat / cos).min(180.0);
    let (south, north) = ((center.lat() - dlat).max(-90.0), (center.lat() + dlat).min(90.0));
    let (west, east) = (center.long() - dlong, center.long() + dlong);
    let (step_lat, step_long) = cell_degrees(precision);
    let mut cells = Vec::new();
    let mut lat = south;
    loop {
        let mut long = west;
        loop {
            let wrapped = ((long + 180.0).rem_euclid(360.0)) - 180.0;
            if let Ok(point) = GeoPoint::new(lat, wrapped) {
                let cell = geohash(point, precision);
                if !cells.contains(&cell) {
                    cells.push(cell);
                }
            }
            if long >= east {
                break;
            }
            long = (long + step_long).min(east);
        }
        if lat >= north {
            break;
        }
        lat = (lat + step_lat).min(north);
    }
    cells
}

/// A closed ring of `[long, lat]` positions, as GeoJSON writes them.
pub type Ring = Vec<[f64; 2]>;

/// A polygon: an outer ring and its holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub rings: Vec<Ring>,
}

/// Where a point lies relative to a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Inside,
    Boundary,
    Outside,
}

/// How far from an edge, in degrees (about 1 cm), a point still counts as on it.
const ON_EDGE: f64 = 1e-7;

fn ring_side(ring: &Ring, x: f64, y: f64) -> Side {
    let mut inside = false;
    for pair in ring.windows(2) {
        let ([x1, y1], [x2, y2]) = (pair[0], pair[1]);
        // On the segment (within ON_EDGE): the boundary belongs to the area.
        let (dx, dy) = (x2 - x1, y2 - y1);
        let length2 = dx * dx + dy * dy;
        let t = if length2 > 0.0 { (((x - x1) * dx + (y - y1) * dy) / length2).clamp(0.0, 1.0) } else { 0.0 };
        let (px, py) = (x1 + t * dx - x, y1 + t * dy - y);
        if px * px + py * py <= ON_EDGE * ON_EDGE {
            return Side::Boundary;
        }
        // Even-odd crossing of a ray going east from the point.
        if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * dx / dy {
            inside = !inside;
        }
    }
    if inside { Side::Inside } else { Side::Outside }
}

impl Polygon {
    /// Whether the point is inside the polygon or on its boundary (a hole's edge included).
    pub fn covers(&self, point: GeoPoint) -> bool {
        let (x, y) = (point.long(), point.lat());
        let mut rings = self.rings.iter();
        match rings.next().map(|outer| ring_side(outer, x, y)) {
            Some(Side::Boundary) => true,
            Some(Side::Inside) => rings.all(|hole| ring_side(hole, x, y) != Side::Inside),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, long: f64) -> GeoPoint {
        GeoPoint::new(lat, long).unwrap()
    }

    #[test]
    fn geohash_matches_the_reference_values() {
        // The examples of geohash.org and Wikipedia.
        assert_eq!(geohash(p(57.64911, 10.40744), 11), "u4pruydqqvj");
        assert_eq!(geohash(p(42.6, -5.6), 5), "ezs42");
        assert_eq!(geohash(p(-90.0, -180.0), 4), "0000");
        assert_eq!(geohash(p(90.0, 180.0), 4), "zzzz");
    }

    #[test]
    fn distance_of_known_places() {
        // One degree of latitude is about 111.2 km on the mean sphere.
        let d = distance_m(p(42.0, -71.0), p(43.0, -71.0));
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        assert_eq!(distance_m(p(42.0, -71.0), p(42.0, -71.0)), 0.0);
        // 100 m east at 42°N.
        let east = p(42.0, -71.0 + 100.0 / (111_195.0 * 42f64.to_radians().cos()));
        assert!((distance_m(p(42.0, -71.0), east) - 100.0).abs() < 0.1);
    }

    #[test]
    fn cells_cover_the_whole_circle() {
        let center = p(42.26, -71.80);
        let cells = cells_around(center, 250.0, 6);
        assert!(!cells.is_empty() && cells.len() <= 4, "{cells:?}");
        // Every point of the circle's rim falls in one of the cells.
        for degree in (0..360).step_by(5) {
            let angle = f64::from(degree).to_radians();
            let (dy, dx) = (250.0 * angle.sin(), 250.0 * angle.cos());
            let rim = p(
                center.lat() + (dy / EARTH_RADIUS_M).to_degrees(),
                center.long() + (dx / EARTH_RADIUS_M).to_degrees() / center.lat().to_radians().cos(),
            );
            assert!(cells.contains(&geohash(rim, 6)), "rim point at {degree}° is outside {cells:?}");
        }
    }

    #[test]
    fn a_circle_across_a_cell_corner_takes_the_four_cells() {
        // A point right at a precision-6 cell corner.
        let (dlat, dlong) = cell_degrees(6);
        let corner =
            p(-90.0 + ((42.0 + 90.0) / dlat).round() * dlat, -180.0 + ((109.0_f64) / dlong).round() * dlong);
        let cells = cells_around(corner, 60.0, 6);
        assert_eq!(cells.len(), 4, "{cells:?}");
    }

    #[test]
    fn radii_that_are_not_distances_take_the_center_cell() {
        let center = p(42.26, -71.80);
        for radius in [f64::NAN, -1.0, f64::NEG_INFINITY, -0.0] {
            assert_eq!(cells_around(center, radius, 6), vec![geohash(center, 6)], "{radius}");
        }
    }

    fn square_with_hole() -> Polygon {
        Polygon {
            rings: vec![
                vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]],
                vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0], [1.0, 1.0]],
            ],
        }
    }

    #[test]
    fn points_inside_outside_on_the_boundary_and_in_a_hole() {
        let polygon = square_with_hole();
        assert!(polygon.covers(p(3.0, 3.0)));
        assert!(!polygon.covers(p(5.0, 3.0)));
        assert!(polygon.covers(p(0.0, 2.5)), "on an edge");
        assert!(polygon.covers(p(4.0, 4.0)), "on a vertex");
        assert!(!polygon.covers(p(1.5, 1.5)), "in the hole");
        assert!(polygon.covers(p(1.0, 1.5)), "on the hole's edge");
        assert!(!polygon.covers(p(-0.000_01, 2.0)), "just outside");
    }

    #[test]
    fn concave_polygons() {
        // A U shape: the notch is outside.
        let u = Polygon {
            rings: vec![vec![
                [0.0, 0.0],
                [3.0, 0.0],
                [3.0, 3.0],
                [2.0, 3.0],
                [2.0, 1.0],
                [1.0, 1.0],
                [1.0, 3.0],
                [0.0, 3.0],
                [0.0, 0.0],
            ]],
        };
        assert!(!u.covers(p(2.0, 1.5)));
        assert!(u.covers(p(2.0, 0.5)));
        assert!(u.covers(p(2.5, 2.5)));
        assert!(u.covers(p(1.0, 1.5)), "on the notch's edge");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn point() -> impl Strategy<Value = GeoPoint> {
            (-90.0..=90.0f64, -180.0..=180.0f64).prop_map(|(lat, long)| p(lat, long))
        }

        fn radius() -> impl Strategy<Value = f64> {
            prop_oneof![0.0..300.0f64, Just(f64::NAN), Just(-0.0), Just(-1.0), Just(f64::MIN)]
        }

        proptest! {
            #[test]
            fn cells_of_any_point_and_radius_are_few_and_well_formed(center in point(), radius in radius()) {
                let cells = cells_around(center, radius, 6);
                // Near the poles a circle spans many cells of longitude; still a bounded few.
                prop_assert!(!cells.is_empty() && cells.len() <= 200, "{}", cells.len());
                prop_assert!(cells.iter().all(|c| c.len() == 6 && c.bytes().all(|b| BASE32.contains(&b))));
            }

            #[test]
            fn geohashes_and_distances_of_any_points(a in point(), b in point(), precision in any::<usize>()) {
                prop_assert_eq!(geohash(a, precision).len(), precision.clamp(1, 12));
                let d = distance_m(a, b);
                prop_assert!(d.is_finite() && d >= 0.0, "{d}");
            }
        }
    }
}
