//! Deterministic randomness for the generator: a seeded PRNG, Zipf-like popularity, dates and
//! link degrees, using only exact arithmetic so a seed gives the same bytes on every platform.

use std::collections::HashSet;

/// SplitMix64, one stream per section so that, say, changing `links` leaves the records alone.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64, stream: u64) -> Self {
        Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`, `n > 0`.
    pub(super) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
    pub(super) fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }
    /// Uniform in `[0, 1)`. Floats only go through exact IEEE operations (no `ln`, `powf`), so
    /// every platform draws the same numbers.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub(super) fn weighted<T: Copy>(&mut self, items: &[(T, usize)]) -> T {
        let mut x = self.below(items.iter().map(|i| i.1).sum());
        for &(item, weight) in items {
            if x < weight {
                return item;
            }
            x -= weight;
        }
        unreachable!("x < total weight")
    }
}

/// A stride coprime with `n`, to visit `0..n` in a scattered order.
pub(super) fn coprime_stride(n: usize) -> usize {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let mut stride = (n * 5 / 8).max(1);
    while n > 1 && gcd(stride, n) != 1 {
        stride += 1;
    }
    stride
}

/// Zipf–Mandelbrot popularity over `n` items: rank r weighs 1/(r + offset). Ranks map to
/// indices by a coprime stride so the popular items are scattered (a stride of 1 keeps order).
pub(super) struct Zipf {
    cumulative: Vec<f64>,
    stride: usize,
}

impl Zipf {
    pub(super) fn new(n: usize, offset: f64, scatter: bool) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                total += 1.0 / (r as f64 + offset);
                total
            })
            .collect();
        Zipf {
            cumulative,
            stride: if scatter { coprime_stride(n) } else { 1 },
        }
    }

    pub(super) fn sample(&self, rng: &mut Rng) -> usize {
        let n = self.cumulative.len();
        let x = rng.unit() * self.cumulative[n - 1];
        self.cumulative.partition_point(|&c| c <= x).min(n - 1) * self.stride % n
    }

    /// `k` distinct indices by popularity; when `k` is a large share of `n` (rejection would
    /// stall), a uniform selection sample instead, linear in `n` and so in the output.
    pub(super) fn distinct(&self, rng: &mut Rng, k: usize, out: &mut Vec<usize>) {
        let n = self.cumulative.len();
        let mut needed = k.min(n);
        out.clear();
        if needed * 4 > n {
            for i in 0..n {
                if rng.below(n - i) < needed {
                    out.push(i);
                    needed -= 1;
                }
            }
            return;
        }
        let mut seen = HashSet::new(); // only used for large k; small k scans `out`
        while out.len() < needed {
            let i = self.sample(rng);
            if (needed <= 16 && !out.contains(&i)) || (needed > 16 && seen.insert(i)) {
                out.push(i);
            }
        }
    }

    /// `low..=high` distinct items of `words` (the list this ranks), by popularity.
    pub(super) fn words<'a>(
        &self,
        rng: &mut Rng,
        words: &[&'a str],
        low: usize,
        high: usize,
    ) -> Vec<&'a str> {
        let (k, mut picks) = (rng.between(low, high), Vec::new());
        self.distinct(rng, k, &mut picks);
        picks.into_iter().map(|i| words[i]).collect()
    }
}

/// A date in `year` at precision 0 (year), 1 (month) or 2 (day).
pub(super) fn date(rng: &mut Rng, year: usize, precision: usize) -> String {
    let month = rng.between(1, 12);
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        + usize::from(leap && month == 2);
    match precision {
        0 => format!("{year}"),
        1 => format!("{year}-{month:02}"),
        _ => format!("{year}-{month:02}-{:02}", rng.between(1, days)),
    }
}

/// How many datasets each publication links to: geometric around the mean, at most 10 unless
/// the mean needs more, then nudged one at a time along a scattered walk until the sum is exact.
pub(super) fn link_degrees(
    rng: &mut Rng,
    publications: usize,
    datasets: usize,
    total: usize,
) -> Vec<u32> {
    let cap = datasets.min(total.div_ceil(publications).max(10));
    let mean = total as f64 / publications as f64;
    let go_on = mean / (mean + 1.0);
    let mut degrees: Vec<u32> = (0..publications)
        .map(|_| (0..cap).take_while(|_| rng.chance(go_on)).count() as u32)
        .collect();
    let mut sum: usize = degrees.iter().map(|&d| d as usize).sum();
    let (stride, mut i) = (coprime_stride(publications), rng.below(publications));
    while sum != total {
        let degree = &mut degrees[i];
        if sum < total && (*degree as usize) < cap {
            (*degree, sum) = (*degree + 1, sum + 1);
        } else if sum > total && *degree > 0 {
            (*degree, sum) = (*degree - 1, sum - 1);
        }
        i = (i + stride) % publications;
    }
    degrees
}
