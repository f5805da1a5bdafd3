//! Writes the real-size SigLIP 2 B/16-224 sample model (the architecture and hub
//! `config.json` of `google/siglip2-base-patch16-224`, counter-generated weights, see
//! `tests/fixtures/siglip-reference/README.md`) into a folder, for benchmarks:
//! `cargo run --release -p glimpse-embed --example siglip_sample_model -- OUT_DIR`, then
//! `--example forward -- OUT_DIR`. Speed does not depend on the weights' values.

#[path = "../tests/support/siglip_weights.rs"]
mod siglip_weights;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: siglip_sample_model OUT_DIR")?;
    let out = std::path::Path::new(&out);
    let t = std::time::Instant::now();
    let bytes = siglip_weights::write_sample_model(out)
        .map_err(|e| format!("{}: cannot write the model: {e}", out.display()))?;
    println!(
        "{}: model.safetensors {bytes} bytes ({:.1} s)",
        out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
