//! The colours of activity boxes and the ink of their text: shades of blue by how busy an
//! activity is, with black or white text, whichever reads better (WCAG 2 contrast).

/// The fill of an activity box at `share` (0-1) of the busiest activity's count: light blue
/// to dark blue.
pub(super) fn activity_shade(share: f64) -> [u8; 3] {
    [
        235 - (150.0 * share) as u8,
        242 - (110.0 * share) as u8,
        255 - (60.0 * share) as u8,
    ]
}

/// The relative luminance of an sRGB colour (WCAG 2), 0 for black to 1 for white.
fn luminance(colour: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(colour[0]) + 0.7152 * linear(colour[1]) + 0.0722 * linear(colour[2])
}

/// The contrast ratio of two colours (WCAG 2), 1 to 21.
fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (a, b) = (luminance(a) + 0.05, luminance(b) + 0.05);
    a.max(b) / a.min(b)
}

/// Black or white, whichever reads better on `fill`: one of them always has a contrast of at
/// least 4.58:1 (WCAG AA asks 4.5:1 for text).
pub(super) fn ink_on(fill: [u8; 3]) -> &'static str {
    if contrast(fill, [255; 3]) >= contrast(fill, [0; 3]) {
        "#fff"
    } else {
        "#000"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_activities_has_a_contrast_of_at_least_4_5() {
        for step in 0..=100 {
            let fill = activity_shade(f64::from(step) / 100.0);
            let ink = if ink_on(fill) == "#fff" {
                [255; 3]
            } else {
                [0; 3]
            };
            assert!(contrast(fill, ink) >= 4.5, "{fill:?}");
        }
    }
}
