//! Texts a hostile or careless client may send, for the property tests of every parser: any
//! unicode, number-like words (huge, signed, `NaN`, `inf`, `-0`) and date-like texts with
//! extreme years, months, times and offsets.

use proptest::prelude::*;

/// Number-like texts, the kind `parse::<f64>()` and `parse::<usize>()` meet at their edges.
pub fn number_like() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "NaN",
            "nan",
            "inf",
            "-inf",
            "+inf",
            "infinity",
            "-0",
            "+0",
            "0",
            "-0.0",
            "1e400",
            "-1e400",
            "1e-400",
            "0x10",
            "1_000",
            " 7 ",
            "٣",
            "１",
            "18446744073709551616",
            "-9223372036854775809",
        ])
        .prop_map(str::to_owned),
        any::<i128>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:e}")),
    ]
}

/// Date-like texts: W3C shapes with years from far before to far after chrono's calendar,
/// out-of-range fields, and offsets like `+99:99`.
pub fn date_like() -> impl Strategy<Value = String> {
    let year = prop_oneof![
        (0i32..10_000).prop_map(|y| format!("{y:04}")),
        (-300_000i32..300_000).prop_map(|y| format!("{y:+}")),
        prop::sample::select(vec![
            "-262143", "-262144", "+262142", "+262143", "262142", "1969", "1970", "9999", "10000", "+10000",
        ])
        .prop_map(str::to_owned),
        any::<i64>().prop_map(|y| y.to_string()),
    ];
    let field =
        prop_oneof![(0u32..100).prop_map(|n| format!("{n:02}")), any::<u32>().prop_map(|n| n.to_string())];
    let offset = prop_oneof![
        Just(String::new()),
        Just("Z".to_owned()),
        (prop::sample::select(vec!["+", "-", " "]), 0u32..100, 0u32..100)
            .prop_map(|(sign, h, m)| format!("{sign}{h:02}:{m:02}")),
    ];
    (year, field.clone(), field.clone(), field.clone(), field.clone(), field, offset, 0u8..3).prop_map(
        |(y, mo, d, h, mi, s, offset, shape)| match shape {
            0 => format!("{y}-{mo}-{d}"),
            1 => format!("{y}-{mo}-{d}T{h}:{mi}"),
            _ => format!("{y}-{mo}-{d}T{h}:{mi}:{s}{offset}"),
        },
    )
}

/// Anything a query parameter or form field may hold.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "\\PC{0,12}", number_like(), date_like()]
}
