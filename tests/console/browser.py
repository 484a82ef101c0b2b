"""Debian's headless Chromium for the console's tests, driven by browser_driver.mjs
(puppeteer-core from the console's pinned npm packages): one JSON command a line."""
import json
import os
import select
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
DRIVER = os.path.join(HERE, "browser_driver.mjs")


def node_modules():
    out = subprocess.run([os.path.join(ROOT, "scripts", "install.sh"), "npm-dir"], check=True,
                         capture_output=True, text=True).stdout.strip()
    return os.path.join(out, "node_modules")


class Browser:
    def __init__(self, fake_audio=None):
        env = dict(os.environ, NODE_MODULES=node_modules())
        if fake_audio:
            env["FAKE_AUDIO"] = fake_audio
        self.stderr = open(os.path.join("/tmp", f"parley-browser-{os.getpid()}.log"), "w")
        self.proc = subprocess.Popen(["node", DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, env=env)

    def do(self, cmd, timeout=60, **args):
        """Runs one command; raises with the page's console when it fails."""
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"browser: no answer to {cmd} within {timeout}s")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"browser exited: see {self.stderr.name}")
        reply = json.loads(line)
        if not reply["ok"]:
            logs = self.logs() if cmd != "logs" else []
            raise AssertionError(f"browser {cmd} {args}: {reply['error']}\npage console:\n" + "\n".join(logs))
        return reply.get("value")

    def wait(self, js, timeout=15):
        return self.do("wait", timeout + 30, js=js, wait_ms=int(timeout * 1000))

    def eval(self, js):
        return self.do("eval", js=js)

    def logs(self):
        try:
            return self.do("logs", timeout=10)
        except AssertionError:
            return []

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
