"""The console in a real browser: headless Chromium driven by Selenium against the real
server (`yachay serve`), as a teacher and a content creator would use it. Each page is
photographed at a cheap phone's width (360 px) and a laptop's (1280 px) into
``$YACHAY_SCREENSHOTS`` (or the test's temporary folder) for a person to look at."""

from __future__ import annotations

import math
import os
import shutil
import struct
import threading
import wave
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import start_server, stop_server
from tests.web.conftest import PASSWORD, seed
from yachay.db.database import Database

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (360, 1280)


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        message = "Chromium is not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return browser, driver


def _tone(path: Path, seconds: float = 1.0, rate: int = 8000) -> None:
    """A short 440 Hz tone: what a recorded question sounds like to this test."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(int(seconds * rate))
        )
        out.writeframes(b"".join(frames))


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Stands in for the phone provider's recording storage, on loopback."""
    folder = tmp_path_factory.mktemp("recordings")
    for sid in ("RE1", "RE2"):
        _tone(folder / sid)

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def guess_type(self, path):  # noqa: ANN001, ANN202
            return "audio/wav"

        def log_message(self, *args):  # noqa: ANN002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory, recordings):
    _chromium()
    server = start_server(tmp_path_factory.mktemp("browser-server"))
    database = Database(server.database_url)
    data = seed(database, recordings)
    database.dispose()
    yield server, data
    stop_server(server)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("YACHAY_SCREENSHOTS") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = _chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1280,900",
        "--lang=es-PE",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    chrome.implicitly_wait(15)
    yield chrome
    chrome.quit()


def photograph(browser, shots: Path, name: str) -> None:
    """The whole page at each width, as its user would scroll through it (a phone's width
    is emulated as a phone: the viewport meta tag applies)."""

    def emulate(width: int, height: int) -> None:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )

    for width in WIDTHS:
        emulate(width, 800)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        emulate(width, min(max(height, 600), 6000))
        browser.save_screenshot(str(shots / f"{name}-{width}.png"))
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways at {width} px"
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def submit(browser, css: str) -> None:
    """Click the button (or link) and wait for the next page to replace this one.

    The old page is marked on `window` and the wait ends when a loaded page lacks the
    mark. Selenium's `staleness_of` is not used: while the page is being replaced,
    chromedriver may answer "Node with given id does not belong to the document"
    (a plain WebDriverException, not a stale reference), which failed a CI run."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    browser.execute_script("window.__yachayOldPage = true;")
    browser.find_element(By.CSS_SELECTOR, css).click()

    def replaced(driver) -> bool:
        return driver.execute_script(
            "return window.__yachayOldPage === undefined && document.readyState === 'complete';"
        )

    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(replaced)


def sign_in(browser, url: str, email: str, password: str = PASSWORD) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{url}/login")
    browser.find_element(By.NAME, "login").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    submit(browser, "#login button")


def test_sign_in_refused_then_accepted(site, browser, shots):
    from selenium.webdriver.common.by import By

    server, _data = site
    sign_in(browser, server.url, "teacher@ie.pe", "equivocada")
    assert "el usuario o la contraseña no son correctos" in browser.page_source
    photograph(browser, shots, "login-failed")
    sign_in(browser, server.url, "teacher@ie.pe")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Hola, Jorge Docente"
    cookie = browser.get_cookie("session")
    assert cookie["secure"] and cookie["httpOnly"]
    photograph(browser, shots, "home")


def test_roster_csv_with_a_bad_row(site, browser, shots, tmp_path):
    from selenium.webdriver.common.by import By

    server, data = site
    sign_in(browser, server.url, "teacher@ie.pe")
    browser.get(f"{server.url}/classes/{data.own_class}")
    csv_file = tmp_path / "lista.csv"
    csv_file.write_text(
        "nombre,telefono,grado,idioma,apoderado,telefono_apoderado\n"
        "Rosa Huamán,+51987100001,2,es,Elena,+51987100009\n"
        "Pedro,987,2,es,,\n",
        encoding="utf-8",
    )
    browser.find_element(By.CSS_SELECTOR, "#csv summary").click()
    browser.find_element(By.CSS_SELECTOR, "#roster-upload input[type=file]").send_keys(
        str(csv_file)
    )
    submit(browser, "#roster-upload button")
    errors = [li.text for li in browser.find_elements(By.CSS_SELECTOR, ".flash li.error")]
    assert errors[0].startswith("No se guardó nada del archivo")
    assert errors[1:] == ["línea 3: el teléfono «987» no es un número como +51987654321"]
    assert "Rosa Huamán" not in browser.find_element(By.ID, "roster").text
    assert browser.find_element(By.ID, "csv").get_attribute("open") is not None
    photograph(browser, shots, "roster")
    browser.get(f"{server.url}/classes/{data.own_class}/needs-help")
    photograph(browser, shots, "needs-help")


def test_a_student_page_draws_its_charts(site, browser, shots):
    from selenium.webdriver.common.by import By

    server, data = site
    sign_in(browser, server.url, "teacher@ie.pe")
    browser.get(f"{server.url}/students/{data.own_student}")
    for chart in ("skills", "minutes"):
        svg = browser.find_element(By.CSS_SELECTOR, f'svg[data-chart="{chart}"]')
        size = svg.size
        assert size["width"] > 200 and size["height"] > 40, (chart, size)
        bars = svg.find_elements(By.CSS_SELECTOR, "rect.bar")
        drawn = [
            b for b in bars if float(b.get_attribute("width") or 0) > 0 and b.size["height"] > 0
        ]
        assert drawn, f"the {chart} chart has no visible bar"
    photograph(browser, shots, "student")


def test_the_question_queue_plays_a_recording(site, browser, shots):
    from selenium.webdriver.common.by import By

    server, data = site
    sign_in(browser, server.url, "teacher@ie.pe")
    browser.get(f"{server.url}/classes/{data.own_class}/questions")
    audio = browser.find_element(By.CSS_SELECTOR, f"#question-{data.own_question} audio")
    played = browser.execute_async_script(
        """const [audio, done] = arguments;
        audio.addEventListener('playing', () => done(audio.duration), {once: true});
        audio.addEventListener('error', () => done('error ' + audio.error.code), {once: true});
        audio.play().catch(e => done('refused ' + e));""",
        audio,
    )
    assert isinstance(played, (int, float)) and played > 0.5, played
    photograph(browser, shots, "questions")
    submit(browser, f"#question-{data.own_question} button")
    assert "Pregunta marcada como respondida" in browser.page_source


def test_a_pack_upload_shows_the_error_by_line(site, browser, shots, tmp_path):
    from selenium.webdriver.common.by import By

    server, _data = site
    sign_in(browser, server.url, "creator@ie.pe")
    folder = ROOT / "tests/content/broken/bad-grade"
    archive = tmp_path / "bad-grade.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, f"bad-grade/{path.relative_to(folder)}")
    photograph(browser, shots, "content")
    browser.find_element(By.CSS_SELECTOR, "#pack-upload input[type=file]").send_keys(str(archive))
    submit(browser, "#pack-upload button")
    problem = browser.find_element(By.CSS_SELECTOR, "#problems li")
    assert problem.find_element(By.CLASS_NAME, "file").text == "bad-grade/lessons/g1-contar.yaml"
    assert problem.find_element(By.CLASS_NAME, "line").text == "3"
    assert "grade must be a whole number" in problem.find_element(By.CLASS_NAME, "message").text
    photograph(browser, shots, "pack-problems")
    # A valid pack: its page, a lesson's preview; discarded (publishing would install it
    # in the checkout's content folder, which this server uses).
    good = ROOT / "content/packs/comunicacion-escucha"
    archive = tmp_path / "good.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(good.rglob("*")):
            if path.is_file():
                out.write(path, f"{good.name}/{path.relative_to(good)}")
    browser.get(f"{server.url}/content")
    browser.find_element(By.CSS_SELECTOR, "#pack-upload input[type=file]").send_keys(str(archive))
    submit(browser, "#pack-upload button")
    assert "revisado sin problemas" in browser.page_source
    photograph(browser, shots, "pack-staged")
    submit(browser, "table a")
    assert browser.find_elements(By.CSS_SELECTOR, "ol.segments li")
    photograph(browser, shots, "lesson-preview")
    browser.back()
    submit(browser, "form[action$='/discard'] button")
    assert "Paquete descartado" in browser.page_source


def test_the_admin_pages(site, browser, shots):
    server, _data = site
    sign_in(browser, server.url, "admin@ie.pe")
    for path, name in [
        ("/admin", "admin-status"),
        ("/admin/users", "admin-users"),
        ("/admin/schools", "admin-schools"),
        ("/admin/access-log", "admin-access-log"),
        ("/admin/students", "admin-students"),
    ]:
        browser.get(server.url + path)
        photograph(browser, shots, name)
