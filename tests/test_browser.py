"""Staff read the verification runs in a real browser: headless Debian Chromium, driven by Selenium.

Screenshots go to ``ENERLINK_SCREENSHOT_DIR`` (``make screenshots`` points it at
docs/screenshots/, the images the README shows), or to the test's tmp folder.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import User as Staff
from model_bakery import baker

from accounts import verification
from accounts.models import User
from energy.models import SmartMeter, Wallet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HOW_TO_INSTALL = "apt-get install chromium chromium-driver (Debian's packages; .ci/run installs them)"


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        pytest.fail(f"the browser test needs {', '.join(missing)}: {HOW_TO_INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot_dir(tmp_path):
    folder = Path(os.environ.get("ENERLINK_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_staff_sign_in_and_read_a_verification_run(live_server, browser, screenshot_dir):
    from selenium.webdriver.common.by import By

    Staff.objects.create_superuser("staff", "staff@example.org", "a-long-test-password")
    for number in range(1, 4):
        user = baker.make(
            User, user_id=f"u-{number}", email=f"user{number}@example.org", password_hash="$2b$x"
        )
        baker.make(Wallet, user=user, _quantity=2)
        baker.make(SmartMeter, user=user)
    report = verification.run_verification()
    run = verification.store_report(report, "manage.py verify_user_migration (ci@runner)")

    browser.get(f"{live_server.url}/admin/login/?next=/admin/accounts/verificationrun/")
    browser.find_element(By.NAME, "username").send_keys("staff")
    browser.find_element(By.NAME, "password").send_keys("a-long-test-password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    # The runs list: the run, its outcome, who started it, and the button to start another.
    assert browser.find_element(By.CSS_SELECTOR, "#content h1").text == "Select verification run to view"
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1
    assert "Passed" in rows[0].text and "ci@runner" in rows[0].text
    assert browser.find_element(By.ID, "run-verification").is_displayed()
    browser.save_screenshot(str(screenshot_dir / "verification-runs.png"))

    # Its detail page: one table row per check, with the masked sample.
    rows[0].find_element(By.CSS_SELECTOR, "th a").click()
    table = browser.find_element(By.ID, "verification-checks")
    check_rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [row.get_attribute("class") for row in check_rows] == [f"check-{c['name']}" for c in run.checks]
    foreign_keys = table.find_element(By.CSS_SELECTOR, "tr.check-foreign_keys")
    assert "PASS" in foreign_keys.text and "one valid foreign key each" in foreign_keys.text
    sample = table.find_element(By.CSS_SELECTOR, "tr.check-relationship_sample").text
    assert "u***@example.org" in sample and "user1@example.org" not in sample
    browser.set_window_size(1600, 1500)
    browser.save_screenshot(str(screenshot_dir / "verification-run-detail.png"))

    # Start a new run from the list: it lands on the new run's page.
    browser.get(f"{live_server.url}/admin/accounts/verificationrun/")
    browser.find_element(By.ID, "run-verification").click()
    assert "Verification passed" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert browser.find_element(By.ID, "verification-checks")
    assert "admin: staff" in browser.page_source
