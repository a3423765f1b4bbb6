//! Hashes every file under `web/` when the function is built, so that it serves its assets under
//! fingerprinted URLs without hashing anything when it starts: `$OUT_DIR/hashes.rs` holds each
//! file's path there and its hash (src/fingerprint.rs, the same function the local stack uses on
//! files read from disk).

use std::error::Error;
use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "src/fingerprint.rs"]
mod fingerprint;

fn main() -> Result<(), Box<dyn Error>> {
    let web = Path::new(&std::env::var("CARGO_MANIFEST_DIR")?).join("../../web");
    println!("cargo:rerun-if-changed={}", web.display());
    let mut files = Vec::new();
    walk(&web, &mut files)?;
    files.sort();
    let mut out = String::from(
        "/// Each file under `web/` and its hash, from build.rs.\nstatic BUILT_HASHES: &[(&str, u64)] = &[\n",
    );
    for file in files {
        let source =
            file.strip_prefix(&web)?.to_str().ok_or("a file name that is not UTF-8")?.replace('\\', "/");
        out.push_str(&format!("    ({source:?}, {:#018x}),\n", fingerprint::hash(&std::fs::read(&file)?)));
    }
    out.push_str("];\n");
    std::fs::write(Path::new(&std::env::var("OUT_DIR")?).join("hashes.rs"), out)?;
    Ok(())
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
