"""The web desk in a real browser: headless Chromium (Debian's) driven by Selenium
through chromedriver, against the real ``policy serve``.

A person's way through Decide: choose a municipality and an action, tick and pick the
answers with the keyboard and the mouse, send the form, read the answer; follow the
answer's permalink; switch to English. On Compare: tick two municipalities and
"differences only", and read the matrix. The browser runs with JavaScript off, as the
pages promise to work without it.

Skipped, saying what is missing, only where there is no browser: no ``chromium``, no
``chromedriver`` or no ``selenium`` (``apt-get install chromium chromium-driver``;
``.ci/run`` installs both, and the test extra installs selenium).
"""

from __future__ import annotations

import shutil

import pytest

from tests.servers import served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
try:
    import selenium  # noqa: F401
    MISSING = None
except ImportError:          # pragma: no cover - the test extra installs it
    MISSING = "the selenium package (pip install -e '.[test]')"
if CHROMIUM is None:
    MISSING = "no chromium on PATH (Debian: apt-get install chromium)"
elif DRIVER is None:
    MISSING = "no chromedriver on PATH (Debian: apt-get install chromium-driver)"

pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"{MISSING}; .ci/run installs "
                                "what the browser tests need")


server = served("desk-browser")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--window-size=1200,1600", "--lang=en-US", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    # JavaScript off: the pages must work without it
    options.add_experimental_option("prefs", {
        "profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(options=options, service=DriverService(DRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def by_id(browser, element_id):
    from selenium.webdriver.common.by import By
    return browser.find_element(By.ID, element_id)


def submit(browser, button_css, url_part):
    """Press the button and wait for the page whose URL holds ``url_part``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    browser.find_element(By.CSS_SELECTOR, button_css).click()
    WebDriverWait(browser, 20).until(lambda d: url_part in d.current_url)


def choose(browser, select_id, visible_text):
    from selenium.webdriver.support.ui import Select
    Select(by_id(browser, select_id)).select_by_visible_text(visible_text)


def test_decide_by_filling_the_form(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    base = f"http://127.0.0.1:{server.port}"
    browser.get(base + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "sv"
    choose(browser, "pack", "Tyresö kommun")
    choose(browser, "action", "avsluta en kanal")
    submit(browser, "form.choose button.show", "action=close_channel")

    # the questions, in Swedish; tick one box with the keyboard, one with the mouse
    assert "samråd med chefen" in browser.find_element(By.CSS_SELECTOR, "form.facts").text
    by_id(browser, "f-manager_consulted").send_keys(Keys.SPACE)
    browser.find_element(By.CSS_SELECTOR, 'label[for="f-communicator_consulted"]').click()
    # a date field takes the digits in the browser's order (en-US: month, day, year)
    by_id(browser, "at").send_keys("06022025")
    submit(browser, "form.facts button.decide", "at=2025-06-02")
    answer = by_id(browser, "answer")
    assert "Kräver åtgärder" in answer.text
    steps = [li.get_attribute("data-step")
             for li in answer.find_elements(By.CSS_SELECTOR, "li.step")]
    assert steps == ["publish-farewell-post"]        # the two consultations are done
    assert "ska" in answer.text and "avsnitt ”Avsluta konto”" in answer.text
    assert "manager_consulted=true" in browser.current_url
    assert "communicator_consulted=true" in browser.current_url
    assert "at=2025-06-02" in browser.current_url

    # the permalink shows the same answer, the form filled in as it was
    link = by_id(browser, "permalink").get_attribute("href")
    browser.get(base + "/")
    browser.get(link)
    assert by_id(browser, "answer").find_elements(By.CSS_SELECTOR, "li.step")[0] \
        .get_attribute("data-step") == "publish-farewell-post"
    assert by_id(browser, "f-manager_consulted").is_selected()
    assert not by_id(browser, "f-farewell_post_published").is_selected()

    # the same answer in English, one link away
    browser.find_element(By.LINK_TEXT, "In English").click()
    WebDriverWait(browser, 20).until(lambda d: "lang=en" in d.current_url)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    answer = by_id(browser, "answer")
    assert "Steps required" in answer.text and "must" in answer.text
    assert "Publish a post" in answer.text
    browser.find_element(By.LINK_TEXT, "På svenska").click()
    WebDriverWait(browser, 20).until(lambda d: "lang=en" not in d.current_url)
    assert "Kräver åtgärder" in by_id(browser, "answer").text


def test_a_shared_link_and_a_mistyped_one(server, browser):
    base = f"http://127.0.0.1:{server.port}"
    browser.get(base + "/?pack=tyreso&action=like_page&page_category=commercial")
    assert "Inte tillåtet" in by_id(browser, "answer").text
    browser.get(base + "/?pack=tyreso&action=like_page&page_category=comercial")
    error = by_id(browser, "error").text
    assert "did you mean 'commercial'?" in error
    # the form is there to correct it
    choose(browser, "f-page_category", "företag")
    submit(browser, "form.facts button.decide", "page_category=commercial")
    assert "Inte tillåtet" in by_id(browser, "answer").text


def test_keyboard_reaches_the_form_in_order(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"http://127.0.0.1:{server.port}/?pack=tyreso&action=like_page")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    focused = [browser.switch_to.active_element.get_attribute("class")]
    # past the skip link, the navigation (Decide, Compare, Playground, the other language)
    for _ in range(11):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        active = browser.switch_to.active_element
        focused.append(active.get_attribute("id") or active.text)
    assert focused[0] == "skip"                   # "skip to content" comes first
    order = [f for f in focused if f in ("pack", "action", "f-page_category", "at")]
    assert order[:4] == ["pack", "action", "f-page_category", "at"]


def test_compare_two_municipalities(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"http://127.0.0.1:{server.port}/compare")
    browser.find_element(By.CSS_SELECTOR, 'label[for="p-tyreso"]').click()
    browser.find_element(By.CSS_SELECTOR, 'label[for="p-vara"]').click()
    browser.find_element(By.CSS_SELECTOR, 'label[for="diff"]').click()
    submit(browser, "form.pick button", "diff=1")
    table = by_id(browser, "matrix")
    heads = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert heads[1:] == ["Tyresö kommun", "Vara kommun"]
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert rows and "diff=1" in browser.current_url
    assert "Vilka sidor kommunen får gilla" in table.text


def test_the_playground_shows_a_diagnostic_at_its_line(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"http://127.0.0.1:{server.port}/playground")
    choose(browser, "start", "Tyresö kommun")
    submit(browser, "form.start button", "pack=tyreso")
    source = by_id(browser, "source")
    assert "pack tyreso" in source.get_attribute("value")
    # break the first line: a word before the first character of the source
    source.click()
    source.send_keys(Keys.CONTROL, Keys.HOME)
    source.send_keys("oops ")
    browser.find_element(By.CSS_SELECTOR, "form.play button").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "diagnostics"))
    first = browser.find_element(By.CSS_SELECTOR, "#diagnostics li.diagnostic.error")
    assert first.get_attribute("data-line") == "1"
    assert "playground.policy:1:" in first.text
    assert by_id(browser, "source").get_attribute("value").startswith("oops ")


def test_one_form_answers_for_the_municipality_in_its_list(server, browser):
    """The lists and the questions are one form: a municipality changed in the list is
    the one answered for when Decide is pressed; Enter in a field decides too; Show the
    questions asks for no decision."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base = f"http://127.0.0.1:{server.port}"
    browser.get(base + "/?pack=tyreso&action=like_page")
    choose(browser, "pack", "Vara kommun")
    choose(browser, "f-page_category", "företag")
    submit(browser, "form.facts button.decide", "page_category=commercial")
    assert "pack=vara" in browser.current_url
    assert "Vara kommun" in by_id(browser, "answer").text
    # Enter in the date field decides (the form's first button is a hidden Decide)
    browser.get(base + "/?pack=tyreso&action=like_page&page_category=own")
    by_id(browser, "at").send_keys("06022025" + Keys.ENTER)
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(browser, 20).until(lambda d: "at=2025-06-02" in d.current_url)
    assert "show=" not in browser.current_url and by_id(browser, "answer")
    # Show the questions for another action: no answer, the new questions
    choose(browser, "action", "avsluta en kanal")
    submit(browser, "form.facts button.show", "action=close_channel")
    assert not browser.find_elements(By.ID, "answer")
    assert "samråd med chefen" in browser.find_element(By.CSS_SELECTOR, "form.facts").text


def test_an_action_changed_in_the_list_shows_its_questions(server, browser):
    """Decide pressed after the action was changed in the list: the new action's
    questions, not an error about the old action's facts."""
    from selenium.webdriver.common.by import By
    base = f"http://127.0.0.1:{server.port}"
    browser.get(base + "/?pack=tyreso&action=like_page")
    choose(browser, "f-page_category", "egna sidor")
    choose(browser, "action", "avsluta en kanal")
    submit(browser, "form.facts button.decide", "action=close_channel")
    assert not browser.find_elements(By.ID, "error")
    assert not browser.find_elements(By.ID, "answer")
    assert "samråd med chefen" in browser.find_element(By.CSS_SELECTOR, "form.facts").text
