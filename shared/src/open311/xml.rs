//! Open311's XML form of a document, written from the same records as its JSON form.
//!
//! Objects become elements named by their fields; a list becomes its field's element holding
//! one element per item, named in the singular (`<services><service>…`), as Open311 servers
//! conventionally write it. `null` becomes an empty element; booleans read `true`/`false`.

use serde::Serialize;
use serde_json::Value;

/// Writes `value` as an XML document whose root element is `root`.
pub fn document(root: &str, value: &impl Serialize) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = String::from(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    element(&mut out, root, &value);
    Ok(out)
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Array(items) => {
            open(out, name);
            let item = singular(name);
            for v in items {
                element(out, item, v);
            }
            close(out, name);
        }
        Value::Object(fields) => {
            open(out, name);
            for (k, v) in fields {
                element(out, k, v);
            }
            close(out, name);
        }
        Value::Bool(b) => text(out, name, if *b { "true" } else { "false" }),
        Value::Number(n) => text(out, name, &n.to_string()),
        Value::String(s) => text(out, name, s),
    }
}

fn singular(list: &str) -> &str {
    match list {
        "service_requests" => "request",
        "service_requests_updates" | "service_request_updates" => "request_update",
        "values" => "value",
        "attributes" => "attribute",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn text(out: &mut String, name: &str, s: &str) {
    open(out, name);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all are dropped rather than breaking the document.
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    close(out, name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_hold_singular_items() {
        let xml = document("services", &json!([{"service_code": "A", "metadata": false}])).unwrap();
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="utf-8"?><services><service><service_code>A</service_code><metadata>false</metadata></service></services>"#
        );
    }

    #[test]
    fn an_update_answer_is_read_as_fixmystreet_reads_it() {
        let xml = document("service_request_updates", &json!([{"update_id": "K7QM-3XPR-4"}])).unwrap();
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="utf-8"?><service_request_updates><request_update><update_id>K7QM-3XPR-4</update_id></request_update></service_request_updates>"#
        );
    }

    #[test]
    fn nested_lists_and_nulls() {
        let doc =
            json!({"service_code": "A", "attributes": [{"code": "X", "values": [{"key": "k"}]}], "x": null});
        let xml = document("service_definition", &doc).unwrap();
        assert!(xml.contains("<attributes><attribute><code>X</code><values><value><key>k</key></value></values></attribute></attributes>"));
        assert!(xml.contains("<x/>"));
    }

    #[test]
    fn text_is_escaped() {
        let xml = document("errors", &json!([{"description": "<b>&\"x\u{1}\u{FFFE}\u{FFFF}y"}])).unwrap();
        assert!(xml.contains("<description>&lt;b&gt;&amp;&quot;xy</description>"), "{xml}");
    }
}
