//! The shape of the code, checked: the library's layers import only downwards, no module of
//! any crate in the workspace imports another that imports it back, and no file in the
//! library is longer than a reader can hold.
//!
//! Imports are read from the source text (`crate::…`, `super::…`, `use` groups); a module may
//! use what its ancestors declare (that is how Rust scopes a crate's root), and test modules
//! may reach anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers of `shared/src` and the layers each may import, besides itself.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("runtime", &["domain"]),
    ("ports", &["domain"]),
    ("app", &["domain", "runtime", "ports"]),
    ("open311", &["domain"]),
    ("adapters", &["domain", "runtime", "ports", "app"]),
    ("http", &["domain", "runtime", "ports", "app", "open311"]),
];

/// The longest a file in the library may be.
const MOST_LINES: usize = 600;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The module path of a source file under a crate's `src` (`domain/ticket.rs` →
/// `["domain", "ticket"]`; roots and `mod.rs` name their folder).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> =
        relative.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    if parts.first().is_some_and(|p| p == "bin") {
        // Each binary is a crate of its own; its modules hang under its name.
        parts.remove(0);
    }
    parts
}

/// The source without its test modules (`#[cfg(test)] mod … {` to the end of the file, where
/// this workspace keeps them) and without comments.
fn production_text(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod ") && next.trim_end().ends_with('{'))
        {
            break;
        }
        let line = line.split("//").next().unwrap_or("");
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// The module paths a source text names from `module`: `crate::a::b`, `super::c`, and the
/// members of `use crate::{a, b::c}` groups.
fn named_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let starts_word = at == 0 || !ident(bytes[at - 1]) && bytes[at - 1] != b'$';
        let (base, skip) = if starts_word && rest.starts_with(b"crate::") {
            (Vec::new(), "crate::".len())
        } else if starts_word && rest.starts_with(b"super::") {
            let mut base = module.to_vec();
            let mut skip = 0;
            while bytes[at + skip..].starts_with(b"super::") {
                base.pop();
                skip += "super::".len();
            }
            (base, skip)
        } else {
            at += 1;
            continue;
        };
        at += skip;
        let mut path = base;
        loop {
            let start = at;
            while at < bytes.len() && ident(bytes[at]) {
                at += 1;
            }
            if at > start {
                path.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
            }
            let group = if bytes[at..].starts_with(b"::{") {
                Some(at + 3)
            } else if at == start && bytes[at..].starts_with(b"{") {
                Some(at + 1)
            } else {
                None
            };
            if let Some(first) = group {
                // A group: each member is a path below `path`.
                let end = bytes[at..].iter().position(|&b| b == b'}').map_or(bytes.len(), |e| at + e);
                for member in String::from_utf8_lossy(&bytes[first..end]).split(',') {
                    let mut full = path.clone();
                    full.extend(
                        member.trim().split("::").map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()),
                    );
                    paths.push(full);
                }
                at = end;
                break;
            } else if bytes[at..].starts_with(b"::") && at > start {
                at += 2;
            } else {
                paths.push(path);
                break;
            }
        }
    }
    paths
}

/// The import graph of one crate: module → the modules it names (not itself, not its
/// ancestors, whose items it sees anyway).
fn graph(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = sources(src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges = BTreeMap::new();
    for file in &files {
        let module = module_of(src, file);
        if module.last().is_some_and(|m| m == "tests" || m.ends_with("_tests")) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let mut named = BTreeSet::new();
        for path in named_paths(&module, &production_text(&text)) {
            // The longest known module the path starts with.
            let target = (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p));
            if let Some(target) = target {
                if target != module && !module.starts_with(&target) {
                    named.insert(target);
                }
            }
        }
        edges.insert(module, named);
    }
    edges
}

/// A cycle in `edges`, if there is one, as the modules along it.
fn cycle(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<String>> {
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let from = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut names: Vec<String> = stack[from..].iter().map(|m| m.join("::")).collect();
                names.push(node.join("::"));
                return Some(names);
            }
            _ => {}
        }
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, state, stack) {
                return Some(found);
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    edges.keys().find_map(|node| visit(node, edges, &mut state, &mut Vec::new()))
}

/// Every crate's `src` in the workspace.
fn crate_sources() -> Vec<PathBuf> {
    let root = workspace();
    let mut found = Vec::new();
    for group in ["functions", "infra", "bench"] {
        let Ok(entries) = std::fs::read_dir(root.join(group)) else { continue };
        for entry in entries.flatten() {
            let src = entry.path().join("src");
            if src.is_dir() {
                found.push(src);
            }
        }
    }
    found.extend([root.join("shared/src"), root.join("tests/src"), root.join("bench/harness/src")]);
    found.retain(|s| s.is_dir());
    found.sort();
    found.dedup();
    found
}

#[test]
fn no_module_in_the_workspace_imports_one_that_imports_it_back() {
    let crates = crate_sources();
    assert!(crates.len() >= 10, "the workspace's crates were not found: {crates:?}");
    for src in crates {
        let edges = graph(&src);
        assert!(!edges.is_empty(), "no modules read in {}", src.display());
        if let Some(found) = cycle(&edges) {
            panic!("{}: an import circle: {}", src.display(), found.join(" → "));
        }
    }
}

#[test]
fn the_library_imports_only_downwards() {
    let src = workspace().join("shared/src");
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, named) in graph(&src) {
        let Some(layer) = module.first() else { continue };
        let Some(may) = allowed.get(layer.as_str()) else {
            if !matches!(layer.as_str(), "hostile" | "layers") {
                wrong.push(format!("{} is in no layer", module.join("::")));
            }
            continue;
        };
        for target in named {
            let to = target.first().map(String::as_str).unwrap_or("");
            if to != layer && !may.contains(&to) {
                wrong.push(format!("{} imports {}", module.join("::"), target.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn the_domain_imports_no_aws_or_lambda_crate() {
    let src = workspace().join("shared/src/domain");
    let files = sources(&src);
    assert!(files.len() > 10);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for forbidden in ["aws_", "lambda_", "tokio::"] {
            assert!(!text.contains(forbidden), "{} names {forbidden}", file.display());
        }
    }
}

#[test]
fn no_file_in_the_library_is_longer_than_a_reader_can_hold() {
    let files = sources(&workspace().join("shared"));
    assert!(files.len() > 40);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap_or_default().lines().count();
            (lines > MOST_LINES).then(|| format!("{}: {lines} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "files over {MOST_LINES} lines:\n{}", long.join("\n"));
}

#[test]
fn the_checker_sees_a_circle_and_a_group() {
    let module = vec!["a".to_owned(), "b".to_owned()];
    let paths = named_paths(&module, "use crate::{x::Y, z};\nlet v = super::c::d();\n$crate::no::more");
    assert!(paths.contains(&vec!["x".to_owned(), "Y".to_owned()]), "{paths:?}");
    assert!(paths.contains(&vec!["z".to_owned()]));
    assert!(paths.contains(&vec!["a".to_owned(), "c".to_owned(), "d".to_owned()]));
    assert_eq!(paths.len(), 3, "{paths:?}");
    let mut edges = BTreeMap::new();
    let m = |s: &str| vec![s.to_owned()];
    edges.insert(m("a"), BTreeSet::from([m("b")]));
    edges.insert(m("b"), BTreeSet::from([m("c")]));
    edges.insert(m("c"), BTreeSet::from([m("a")]));
    assert_eq!(cycle(&edges), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    edges.insert(m("c"), BTreeSet::new());
    assert_eq!(cycle(&edges), None);
    let code = production_text("use crate::x; // crate::y\n#[cfg(test)]\nmod tests {\n use crate::z;\n}\n");
    assert!(code.contains("crate::x") && !code.contains("crate::y") && !code.contains("crate::z"));
}
