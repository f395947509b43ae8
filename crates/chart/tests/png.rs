//! The PNG bytes decode with an independent decoder (the `png` crate's) to
//! the scene's size and colours.

use tumen_chart::{Color, Scene, Shape, Stroke, Text};

#[test]
fn png_decodes_to_the_scene() {
    let mut s = Scene::new(120.0, 80.0, "Models", "a test scene");
    s.push(Shape::Rect {
        x: 0.0,
        y: 40.0,
        width: 60.0,
        height: 40.0,
        fill: Color::hex(0xD55E00),
        opacity: 1.0,
        stroke: None,
    });
    s.push(Shape::line(
        60.0,
        0.0,
        60.0,
        80.0,
        Stroke::solid(Color::BLACK, 1.0),
    ));
    s.push(Shape::Text(Text::new(70.0, 20.0, "N = 137")));
    let bytes = s.to_png(2.0).expect("renders");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().expect("a valid PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("valid image data");
    assert_eq!((info.width, info.height), (240, 160));
    assert_eq!(info.color_type, png::ColorType::Rgba);
    let px = |x: usize, y: usize| {
        let i = (y * info.width as usize + x) * 4;
        (buf[i], buf[i + 1], buf[i + 2], buf[i + 3])
    };
    assert_eq!(px(30, 150), (0xD5, 0x5E, 0x00, 255));
    assert_eq!(px(200, 150), (255, 255, 255, 255));
    // Some dark ink where the text is (x 140–200, y 20–40 at scale 2).
    let dark = (140..220)
        .flat_map(|x| (16..42).map(move |y| (x, y)))
        .filter(|&(x, y)| px(x, y).0 < 100)
        .count();
    assert!(dark > 40, "{dark} dark pixels");
}
