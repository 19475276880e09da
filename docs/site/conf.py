# Sphinx configuration of the documentation site (scripts/build_docs.py copies it into the build's source tree).
import os

project = "horizon.ai_platform"
author = "horizon.ai_platform maintainers"
copyright = "2026, horizon.ai_platform contributors"
extensions = ["sphinx_antsibull_ext", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
html_theme = "sphinx_ansible_theme"
html_title = "horizon.ai_platform"
html_show_sphinx = False
# Headings get anchors, for the guides' links to one another's sections.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
# Ansible's own documentation, for the pages' references to ansible.builtin and the common return values: only
# where docs.ansible.com can be reached.
if os.environ.get("HORIZON_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {"ansible_devel": ("https://docs.ansible.com/ansible/devel/", None)}
