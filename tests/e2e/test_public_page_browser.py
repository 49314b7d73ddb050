"""An anonymous visitor reads a published result page: downloads each chart as PNG and SVG,
reads it without JavaScript, and the union's own site frames a chart's embed; axe-core clean
at phone and desktop widths."""

import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from playwright.sync_api import expect

from results.publishing import page_publish
from tests.e2e.axe import assert_accessible
from tests.test_result_pages import page, poll  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def test_the_visitor_downloads_a_chart_as_png_and_as_svg(
    live_server,
    browser_page_factory,
    page,  # noqa: F811
    tmp_path,
):
    page_publish(page=page)
    visitor = browser_page_factory(**DESKTOP, accept_downloads=True)
    visitor.goto(f"{live_server.url}/r/verklighetsforankring/")
    expect(visitor.locator(".chart .main-svg").first).to_be_visible()
    tools = visitor.locator(".chart-tools").first
    with visitor.expect_download() as png:
        tools.get_by_role("link", name="PNG").click()
    png_path = tmp_path / png.value.suggested_filename
    png.value.save_as(png_path)
    assert png.value.suggested_filename == "verklighetsforankring-1-1.png"
    image = Image.open(png_path)
    image.load()
    assert image.format == "PNG" and image.size == (1200, 630)
    with visitor.expect_download() as svg:
        tools.get_by_role("button", name="SVG").click()
    svg_path = tmp_path / "chart.svg"
    svg.value.save_as(svg_path)
    assert svg.value.suggested_filename == "verklighetsforankring-1-1.svg"
    root = ET.parse(svg_path).getroot()  # noqa: S314  (our own chart, in a test)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "75" in svg_path.read_text()  # the chart's share of "Ja"
    assert_accessible(visitor)
    visitor.screenshot(path="/tmp/shots/public-page-1280.png", full_page=True)


def test_the_page_reads_fine_without_javascript_on_a_phone(
    live_server,
    browser_page_factory,
    page,  # noqa: F811
):
    page_publish(page=page)
    visitor = browser_page_factory(**PHONE, java_script_enabled=False)
    visitor.goto(f"{live_server.url}/r/verklighetsforankring/")
    expect(visitor.locator("h1")).to_have_text("Tre av fyra säger ja")
    expect(visitor.locator("table.shares").first).to_contain_text("Ja")
    expect(visitor.locator("table.breakdown")).to_contain_text("kommun")
    assert visitor.locator(".chart .main-svg").count() == 0  # no chart drawn: the table is it
    expect(visitor.locator(".chart-tools").first.get_by_role("link", name="PNG")).to_be_visible()
    expect(visitor.get_by_role("button", name="SVG")).to_have_count(0)  # hidden: needs JS
    expect(visitor.locator("#about-survey")).to_be_visible()
    assert visitor.locator("a[href^='/staff/'], nav.site-nav, form").count() == 0
    visitor.screenshot(path="/tmp/shots/public-page-nojs-390.png", full_page=True)
    phone = browser_page_factory(**PHONE)
    phone.goto(f"{live_server.url}/r/verklighetsforankring/")
    expect(phone.locator(".chart .main-svg").first).to_be_visible()
    assert_accessible(phone)
    phone.screenshot(path="/tmp/shots/public-page-390.png", full_page=True)


def test_the_unions_own_site_frames_a_charts_embed(
    live_server,
    browser_page_factory,
    page,  # noqa: F811
):
    page_publish(page=page)
    site = browser_page_factory(**DESKTOP)
    embed = f"{live_server.url}/r/verklighetsforankring/v1/embed/1/"
    # A page that frames the embed (X-Frame-Options DENY would refuse even the same origin).
    union = f"{live_server.url}/union-site/"
    site.route(
        union,
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                '<!DOCTYPE html><html lang="sv"><title>Förbundet</title><h1>Nyheter</h1>'
                f'<iframe src="{embed}" title="Diagram" width="100%" height="700"></iframe>'
            ),
        ),
    )
    site.goto(union)
    frame = site.frame_locator("iframe")
    expect(frame.locator(".chart .main-svg").first).to_be_visible()
    expect(frame.locator("table.shares")).to_contain_text("Ja")
    expect(frame.locator(".embed-source")).to_contain_text("Statistisk felmarginal")
    site.screenshot(path="/tmp/shots/public-embed-framed-1280.png", full_page=True)
    small = browser_page_factory(**PHONE)
    small.goto(embed)
    expect(small.locator("table.shares")).to_contain_text("Ja")
    assert_accessible(small)
    small.screenshot(path="/tmp/shots/public-embed-390.png", full_page=True)
