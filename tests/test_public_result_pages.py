"""The public side of a published result page: embeds for the union's own site (the only
framed pages), the chart image shown when the page is shared, the public JSON in the results
API's shape, and serving from the cache."""

import io
import re
from html import unescape

import pytest
from django.core.cache import cache
from PIL import Image

from results.chart_images import chart_png
from results.charts import ACCENT, GROUP_COLOURS
from results.publishing import page_publish, page_unpublish
from tests.factories import staff_user
from tests.test_result_pages import page, poll  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.django_db
PAGE = "/r/verklighetsforankring/"


def meta(html: str, key: str) -> str:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    return unescape(found.group(1)) if found else ""


def png_of(response) -> Image.Image:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "PNG"
    return image


def pixels_of(image: Image.Image, colour: str) -> int:
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    counts = {c: n for n, c in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    return counts.get(rgb, 0)


# --------------------------------------------------------------------------- embeds


def test_each_chart_offers_an_iframe_snippet_of_its_embed(client, page):  # noqa: F811
    page_publish(page=page)
    html = client.get(PAGE).content.decode()
    snippets = [unescape(s) for s in re.findall(r"<textarea[^>]*>(.*?)</textarea>", html, re.S)]
    assert len(snippets) == 3  # the three chart blocks
    assert re.fullmatch(
        r'<iframe src="http://testserver/r/verklighetsforankring/v1/embed/1/" '
        r'title="Hur verklighetsförankrade anser du att de politiska besluten är\?" '
        r'width="100%" height="\d{3,4}" loading="lazy"></iframe>',
        snippets[0],
    )
    assert "/v1/embed/3/" in snippets[2]
    assert "Bädda in diagrammet på er egen webbplats" in html


def test_only_the_embeds_may_be_framed(client, page):  # noqa: F811
    page_publish(page=page)
    for url in (PAGE, f"{PAGE}v1/", f"{PAGE}data.json", f"{PAGE}v1/chart-1-1.sv.png"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url
    for url in (f"{PAGE}embed/1/", f"{PAGE}v1/embed/3/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "X-Frame-Options" not in response, url
        policy = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["frame-ancestors"] == "*"
        # The rest of the policy is unchanged: still no inline script.
        assert "script-src 'self'" in policy


def test_the_embed_shows_the_chart_its_table_n_and_the_margin_of_error(client, page):  # noqa: F811
    page_publish(page=page)
    html = client.get(f"{PAGE}embed/1/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", unescape(html)))
    assert "Hur verklighetsförankrade anser du att de politiska besluten är?" in text
    assert 'class="chart" data-figure-id="figure-1-1"' in html
    assert "vendor/plotly-basic.min.js" in html
    assert re.search(r"<th scope=\"row\">Ja</th>\s*<td[^>]*>75\xa0%</td>", html)
    assert "n = 80" in text
    assert re.search(r"Statistisk felmarginal \d+(,\d)?–\d+(,\d)? procentenheter\.", text)
    assert "Källa: Akademikerförbundet SSR." in text
    assert 'href="http://testserver/r/verklighetsforankring/" target="_blank"' in html
    # Only that chart: not the article's title, lead, other blocks, or method box.
    assert "Tre av fyra säger ja</h1>" not in html
    assert "Varför inte?" not in text
    assert "about-survey" not in html
    assert "<textarea" not in html


def test_an_embed_of_a_missing_block_or_an_unpublished_page_is_not_found(client, page):  # noqa: F811
    page_publish(page=page)
    assert client.get(f"{PAGE}embed/4/").status_code == 404
    assert client.get(f"{PAGE}embed/0/").status_code == 404
    assert client.get(f"{PAGE}v2/embed/1/").status_code == 404
    page_unpublish(page=page)
    assert client.get(f"{PAGE}embed/1/").status_code == 404


# --------------------------------------------------------------------------- sharing


def test_sharing_shows_the_title_the_lead_and_an_image_of_the_first_chart(client, page):  # noqa: F811
    page_publish(page=page)
    html = client.get(PAGE).content.decode()
    assert meta(html, "og:title") == "Tre av fyra säger ja"
    assert meta(html, "og:description") == "75 procent av socionomerna svarar ja."
    assert meta(html, "twitter:card") == "summary_large_image"
    image_url = meta(html, "og:image")
    assert image_url == "http://testserver/r/verklighetsforankring/v1/chart-1-1.sv.png"
    assert meta(html, "twitter:image") == image_url
    assert meta(html, "og:image:width") == "1200" and meta(html, "og:image:height") == "630"
    image = png_of(client.get(image_url))
    assert image.size == (1200, 630)
    assert pixels_of(image, ACCENT) > 20_000  # the bars are drawn
    # A stable address: the same bytes again, cacheable by anyone.
    again = client.get(image_url)
    assert again.content == client.get(image_url).content
    assert "public" in again["Cache-Control"]


def test_every_chart_has_a_png_download_in_each_language(client, page):  # noqa: F811
    page_publish(page=page)
    html = client.get(PAGE).content.decode()
    links = re.findall(r'<a class="[^"]*" href="([^"]+\.png)" download="([^"]+)"', html)
    assert [name for _url, name in links] == [
        "verklighetsforankring-1-1.png",
        "verklighetsforankring-2-1.png",
        "verklighetsforankring-3-1.png",
    ]
    for url, _name in links:
        assert png_of(client.get(url)).size == (1200, 630)
    assert png_of(client.get(f"{PAGE}v1/chart-1-1.en.png")).size == (1200, 630)
    assert client.get(f"{PAGE}v1/chart-1-1.de.png").status_code == 404
    assert client.get(f"{PAGE}v1/chart-1-2.sv.png").status_code == 404
    assert client.get(f"{PAGE}v1/chart-9-1.sv.png").status_code == 404


def test_a_suppressed_group_is_left_out_of_the_image(client, poll, page):  # noqa: F811
    page_publish(page=page)
    both = png_of(client.get(f"{PAGE}v1/chart-3-1.sv.png"))
    assert pixels_of(both, GROUP_COLOURS[0]) > 2_000 and pixels_of(both, GROUP_COLOURS[1]) > 2_000
    # Region (30 answered) is under the threshold, and kommun goes with it (complementary
    # suppression): no group to draw, no image and no download; the page says why.
    poll.min_cell_size = 40
    poll.save()
    cache.clear()  # the results' cache generation moves after the commit, which tests skip
    page_publish(page=page)
    assert client.get(f"{PAGE}v2/chart-3-1.sv.png").status_code == 404
    html = client.get(PAGE).content.decode()
    assert "chart-3-1" not in html
    assert "visas inte: färre än 40 svarande" in html
    assert meta(html, "og:image").endswith("/v2/chart-1-1.sv.png")


def test_the_image_draws_the_groups_shown_and_only_those():
    def row(label, share):
        return {"label": label, "share": share, "ci_low": share - 0.05, "ci_high": share + 0.05}

    block = {
        "kind": "chart",
        "question_text": "Fråga",
        "n_text": "80",
        "parts": [
            {
                "title": "",
                "all_labels": ["Ja", "Nej"],
                "options": [],
                "groups": [
                    {
                        "group": "kommun",
                        "suppressed": False,
                        "options": [row("Ja", 0.6), row("Nej", 0.4)],
                    },
                    {"group": "region", "suppressed": True, "options": []},
                    {
                        "group": "privat",
                        "suppressed": False,
                        "options": [row("Ja", 0.3), row("Nej", 0.7)],
                    },
                ],
            }
        ],
    }
    image = Image.open(io.BytesIO(chart_png(block, organisation="SSR")))
    assert image.size == (1200, 630)
    assert pixels_of(image, GROUP_COLOURS[0]) > 2_000
    assert pixels_of(image, GROUP_COLOURS[1]) > 2_000  # the second group shown: privat
    assert pixels_of(image, GROUP_COLOURS[2]) == 0  # no third


# --------------------------------------------------------------------------- the public JSON


def test_the_public_json_is_in_the_openapi_schema(client, page):  # noqa: F811
    client.force_login(staff_user("Editor"))
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/r/{page_slug}/data.json"]["get"]
    assert operation["operationId"] == "public_result_page"
    assert "/r/{page_slug}/v{number}/data.json" in schema["paths"]
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response["$ref"].endswith("/PublicPage")
    results = schema["components"]["schemas"]["PublicPage"]["properties"]["results"]
    assert results["additionalProperties"]["items"]["$ref"].endswith("/PublishedResults")
    published = schema["components"]["schemas"]["PublishedResults"]["properties"]
    api = schema["components"]["schemas"]["PollResults"]["properties"]
    assert set(api) <= set(published)


def test_the_public_json_has_the_results_apis_numbers_with_small_groups_suppressed(
    client,
    poll,  # noqa: F811
    page,  # noqa: F811
):
    poll.min_cell_size = 40
    poll.save()
    page_publish(page=page)
    data = client.get(f"{PAGE}data.json").json()
    overall, by_sector = data["results"]["sv"]
    assert (overall["by"], by_sector["by"]) == (None, "sektor")
    question, follow = poll.questions.order_by("order")
    assert [q["code"] for q in overall["questions"]] == [question.code, follow.code]
    assert [q["code"] for q in by_sector["questions"]] == [question.code]
    # The very numbers the results API gives (for staff) for the same question.
    client.force_login(staff_user("Editor"))
    api = client.get(f"/api/v1/polls/{poll.slug}/results/?by=sektor").json()
    client.logout()
    assert by_sector["questions"][0] == next(
        q for q in api["questions"] if q["code"] == question.code
    )
    assert set(api) - {"representativeness"} <= set(by_sector)
    assert by_sector["representativeness"] is None
    # Region (30 answered) is under the threshold of 40, and kommun goes with it
    # (complementary suppression): no group's number is given.
    groups = by_sector["questions"][0]["groups"]
    assert {g["group"] for g in groups} == {"kommun", "region"}
    for group in groups:
        assert group["suppressed"] and group["n"] is None
        assert all(o["share"] is None and o["respondents"] is None for o in group["options"])
    # And on the page itself.
    assert "visas inte: färre än 40 svarande" in client.get(PAGE).content.decode()


def test_the_public_json_has_cache_headers_an_etag_and_answers_304(client, page):  # noqa: F811
    page_publish(page=page)
    response = client.get(f"{PAGE}data.json")
    assert response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    tag = response["ETag"]
    again = client.get(f"{PAGE}data.json", HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304 and again.content == b""
    assert client.get(f"{PAGE}v1/data.json", HTTP_IF_NONE_MATCH=tag).status_code == 304
    page_publish(page=page)
    newer = client.get(f"{PAGE}data.json", HTTP_IF_NONE_MATCH=tag)
    assert newer.status_code == 200 and newer.json()["version"] == 2
    assert client.get(f"{PAGE}v1/data.json").json()["version"] == 1
    assert client.get(f"{PAGE}v3/data.json").status_code == 404


# --------------------------------------------------------------------------- the cache


def test_a_cached_page_is_served_without_a_database_query(
    client,
    page,  # noqa: F811
    django_assert_num_queries,
):
    page_publish(page=page)
    for url in (PAGE, f"{PAGE}embed/1/", f"{PAGE}data.json", f"{PAGE}v1/chart-1-1.sv.png"):
        assert client.get(url).status_code == 200
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200


def test_unpublishing_and_republishing_reach_the_cached_page_at_once(client, page):  # noqa: F811
    page_publish(page=page)
    assert client.get(PAGE).status_code == 200
    page_unpublish(page=page)
    assert client.get(PAGE).status_code == 404
    assert client.get(f"{PAGE}v1/").status_code == 404
    page.title = "En ny rubrik"
    page.save()
    page_publish(page=page)
    html = client.get(PAGE).content.decode()
    assert "<h1>En ny rubrik</h1>" in html
    assert "Version 2" in html
