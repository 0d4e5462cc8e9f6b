/** Project shapes the playground reads from the API, and the file tree built from them. */
export interface ProjectFile {
  id: string;
  name: string;
  /** The folder, `/` or `/src`. */
  path?: string | null;
  content?: string | null;
  isMain?: boolean;
}
export interface Project {
  id: string;
  name: string;
  language: string;
  visibility: 'private' | 'unlisted' | 'public';
  starCount?: number;
  starred?: boolean;
  isOwner?: boolean;
  forkedFrom?: string | null;
  owner?: { username?: string } | string | null;
  files?: ProjectFile[];
}

/** A file's full path, `lib/util.py` (no leading slash). */
export function filePath(f: Pick<ProjectFile, 'name' | 'path'>): string {
  const folder = (f.path ?? '').replace(/^\/+|\/+$/g, '');
  return folder ? `${folder}/${f.name}` : f.name;
}

/** Splits `lib/util.py` into the API's `{path: '/lib', name: 'util.py'}`. */
export function splitPath(full: string): { path: string; name: string } {
  const parts = full.split('/').filter(Boolean);
  const name = parts.pop() ?? '';
  return { path: `/${parts.join('/')}`, name };
}

/**
 * The files as a nested tree of `<ul role="group">` folders and file buttons (a tree a keyboard
 * can walk with Tab: every file is a button, folders are `<details>` that open with Enter).
 */
export function renderTree(
  files: ProjectFile[],
  current: string | null,
  open: (f: ProjectFile) => void,
): HTMLElement[] {
  interface Folder {
    folders: Map<string, Folder>;
    files: ProjectFile[];
  }
  const root: Folder = { folders: new Map(), files: [] };
  for (const f of files) {
    let at = root;
    for (const part of (f.path ?? '').split('/').filter(Boolean)) {
      let next = at.folders.get(part);
      if (!next) at.folders.set(part, (next = { folders: new Map(), files: [] }));
      at = next;
    }
    at.files.push(f);
  }
  const render = (folder: Folder): HTMLElement[] => {
    const items: HTMLElement[] = [];
    for (const [name, sub] of [...folder.folders].sort(([a], [b]) => a.localeCompare(b))) {
      const li = document.createElement('li');
      li.setAttribute('role', 'treeitem');
      li.setAttribute('aria-expanded', 'true');
      const details = document.createElement('details');
      details.open = true;
      const summary = document.createElement('summary');
      summary.textContent = `${name}/`;
      summary.dataset['folder'] = name;
      const ul = document.createElement('ul');
      ul.setAttribute('role', 'group');
      ul.append(...render(sub));
      details.append(summary, ul);
      details.addEventListener('toggle', () => li.setAttribute('aria-expanded', String(details.open)));
      li.append(details);
      items.push(li);
    }
    for (const f of [...folder.files].sort((a, b) => a.name.localeCompare(b.name))) {
      const li = document.createElement('li');
      li.setAttribute('role', 'treeitem');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = f.isMain ? `${f.name} (main)` : f.name;
      b.dataset['file'] = filePath(f);
      if (filePath(f) === current) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => open(f));
      li.append(b);
      items.push(li);
    }
    return items;
  };
  return render(root);
}
