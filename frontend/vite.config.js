// Builds the pages (and the API reference at /docs) into the Python package, so that `pip install` needs no npm.
// Everything is bundled: no CDN, no web fonts, no online tiles (government intranets).
import { resolve } from "node:path";
import { defineConfig } from "vite";

const here = import.meta.dirname;

// Library strings that are links for humans (docs, attribution) rather than resources: the
// built files must contain no external URL at all, so they are neutralised here.
const HUMAN_LINKS = /https?:\/\/(?!www\.w3\.org\/)[A-Za-z0-9.\-]+(?:\/[^\s"'`<>)\\]*)?/g;

function noExternalUrls() {
  return {
    name: "wanzheng-no-external-urls",
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type === "chunk") file.code = file.code.replace(HUMAN_LINKS, "#");
        else if (typeof file.source === "string") file.source = file.source.replace(HUMAN_LINKS, "#");
      }
    },
  };
}

export default defineConfig({
  root: here,
  base: "/static/",
  plugins: [noExternalUrls()],
  build: {
    outDir: resolve(here, "../src/wanzheng/web/static"),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    // Swagger UI (the /docs page) is one 1.6 MB chunk; the pages themselves stay far below.
    chunkSizeWarningLimit: 1700,
    rollupOptions: {
      input: {
        dashboard: resolve(here, "dashboard.html"),
        resident: resolve(here, "resident.html"),
        dispatch: resolve(here, "dispatch.html"),
        programme: resolve(here, "programme.html"),
        volunteer: resolve(here, "volunteer.html"),
        "volunteer-staff": resolve(here, "volunteer-staff.html"),
        docs: resolve(here, "docs.html"),
        consult: resolve(here, "consult.html"),
        "consult-staff": resolve(here, "consult-staff.html"),
      },
    },
  },
});
