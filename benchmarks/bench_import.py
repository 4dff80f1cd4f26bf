"""Start-up cost of the package itself: `import trainsmart_bench` in a fresh interpreter."""

from trainsmart_bench import bench


class Import:
    def timeraw_import_trainsmart_bench(self):
        return bench.IMPORT_STATEMENT
