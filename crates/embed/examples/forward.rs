//! Times the model's forward passes alone (CLIP or SigLIP), for profiling: `cargo run
//! --release -p glimpse-embed --example forward -- MODEL_DIR [BATCH] [ROUNDS] [GAP_MS]`. A
//! batch of 0 times text queries only. `GAP_MS` idles that long before each text query, as
//! typing does (the UI debounces by 90 ms): back-to-back queries find the worker threads
//! awake and the caches warm. Also prints the memory the loaded model holds.

use std::time::Instant;

use glimpse_embed::{DeviceChoice, Embedder, ModelFiles, Pixels};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: forward MODEL_DIR [BATCH] [ROUNDS] [GAP_MS]")?;
    let batch: usize = args.next().map_or(Ok(16), |s| s.parse())?;
    let rounds: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    let gap = std::time::Duration::from_millis(args.next().map_or(Ok(0), |s| s.parse())?);
    let files = ModelFiles::from_dir(std::path::Path::new(&dir))?;
    let t = Instant::now();
    let embedder = Embedder::load(&files, DeviceChoice::Cpu)?;
    let (peak, now) = memory_mib();
    println!(
        "{} ({:?}, dim {}): loaded in {:.1} s; resident {now} MiB (peak {peak} MiB)",
        embedder.model_name(),
        embedder.architecture(),
        embedder.dim(),
        t.elapsed().as_secs_f64()
    );
    let (h, _w) = embedder
        .preprocessor()
        .config()
        .fixed_output()
        .ok_or("no fixed input size")?;
    let size = h as usize;
    let pixels: Vec<Pixels> = (0..batch)
        .map(|i| {
            let data = (0..3 * size * size)
                .map(|j| (((i * 7919 + j * 31) % 255) as f32 / 128.0) - 1.0)
                .collect();
            Pixels::from_chw(data, size, size)
        })
        .collect::<Result<_, _>>()?;
    if batch > 0 {
        embedder.embed_pixels(&pixels)?;
    }
    for _ in 0..if batch > 0 { rounds } else { 0 } {
        let t = Instant::now();
        let cpu = cpu_ms();
        embedder.embed_pixels(&pixels)?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let cpu = cpu_ms() - cpu;
        let n = batch as f64;
        println!(
            "image batch {batch}: {:.1} ms/image wall, {:.1} ms/image CPU (all threads)",
            ms / n,
            cpu / n
        );
    }
    let queries = [
        "dog",
        "a photo of a dog on the beach",
        "red car parked in the snow at night",
    ];
    let mut lat = Vec::new();
    let text_rounds = if batch > 0 { 10 } else { 10 * rounds };
    let cpu = cpu_ms();
    for _ in 0..text_rounds {
        for q in queries {
            std::thread::sleep(gap);
            let t = Instant::now();
            embedder.embed_texts(&[q])?;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let cpu = (cpu_ms() - cpu) / lat.len() as f64;
    lat.sort_by(f64::total_cmp);
    println!(
        "text ({} ms idle before each): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms, {cpu:.1} ms CPU per query",
        gap.as_millis(),
        lat[lat.len() / 2],
        lat[lat.len() * 95 / 100],
        lat[lat.len() - 1]
    );
    Ok(())
}

/// This process's peak and current resident memory in MiB, from /proc (Linux; 0 elsewhere).
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// This process's user + system CPU time in ms, from /proc (Linux; 0 elsewhere), so runs on a
/// busy machine can still be compared: other processes steal wall time, not CPU time.
fn cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks * 10.0
}
