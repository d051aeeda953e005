//! Writes the registry documentation (`docs/`) from the provider's schemas.
//! Run: `cargo run --example generate-docs` (from the repository root).

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut docs = ecstpl::provider::docs::registry_docs();
    docs.push(("guides/cli.md".into(), ecstpl::cli::reference()));
    for (path, contents) in docs {
        let file = root.join(&path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&file, contents)?;
        println!("wrote docs/{path}");
    }
    Ok(())
}
