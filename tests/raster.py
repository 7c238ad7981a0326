"""What a pinhole camera sees of a mesh, pixel centre by pixel centre: an independent check of
Blender's id render (a z-buffer in numpy, perspective-correct depth)."""

import numpy as np


def camera_basis(cam):
    """(location, forward, right, up) of the spec's Camera, roll applied, as Blender places it."""
    loc, look = np.asarray(cam.location, float), np.asarray(cam.look_at, float)
    f = (look - loc) / np.linalg.norm(look - loc)
    up = np.asarray(cam.up, float)
    if abs(f @ up / np.linalg.norm(up)) > 0.999:
        up = np.array([1.0, 0.0, 0.0]) if abs(f[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    r = np.cross(f, up)
    r /= np.linalg.norm(r)
    u = np.cross(r, f)
    c, s = np.cos(cam.roll), np.sin(cam.roll)
    return loc, f, c * r + s * u, -s * r + c * u


def nearest_face(vertices, faces, cam, width: int, height: int) -> np.ndarray:
    """(height, width) index of the face seen through each pixel centre, -1 where none."""
    loc, f, r, u = camera_basis(cam)
    rel = vertices - loc
    depth = rel @ f
    scale = cam.focal_length / cam.sensor_width * max(width, height)  # px per unit of tan
    good = depth > 1e-6
    x = np.where(good, (rel @ r) / np.maximum(depth, 1e-9) * scale + width / 2, np.nan)
    y = np.where(good, -(rel @ u) / np.maximum(depth, 1e-9) * scale + height / 2, np.nan)
    tri = faces[np.all(good[faces], axis=1)]
    keep_index = np.nonzero(np.all(good[faces], axis=1))[0]
    tx, ty, tz = x[tri], y[tri], depth[tri]
    x0 = np.clip(np.ceil(tx.min(1) - 0.5), 0, width).astype(int)
    x1 = np.clip(np.floor(tx.max(1) - 0.5), -1, width - 1).astype(int)
    y0 = np.clip(np.ceil(ty.min(1) - 0.5), 0, height).astype(int)
    y1 = np.clip(np.floor(ty.max(1) - 0.5), -1, height - 1).astype(int)
    covers = (x1 >= x0) & (y1 >= y0)
    zbuf = np.full((height, width), np.inf)
    index = np.full((height, width), -1)
    for k in np.nonzero(covers)[0]:
        px, py = np.meshgrid(np.arange(x0[k], x1[k] + 1) + 0.5, np.arange(y0[k], y1[k] + 1) + 0.5)
        (ax, bx, cx), (ay, by, cy) = tx[k], ty[k]
        area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
        if abs(area) < 1e-12:
            continue
        w1 = ((px - ax) * (cy - ay) - (py - ay) * (cx - ax)) / area
        w2 = ((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / area
        w0 = 1 - w1 - w2
        inside = (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
        if not inside.any():
            continue
        z = 1 / (w0 / tz[k, 0] + w1 / tz[k, 1] + w2 / tz[k, 2])  # perspective-correct depth
        rows, cols = np.nonzero(inside)
        rows_img, cols_img = rows + y0[k], cols + x0[k]
        closer = z[rows, cols] < zbuf[rows_img, cols_img]
        zbuf[rows_img[closer], cols_img[closer]] = z[rows, cols][closer]
        index[rows_img[closer], cols_img[closer]] = keep_index[k]
    return index


def defect_image(mesh, cam, width: int, height: int) -> np.ndarray:
    """Defect id of the face seen through each pixel centre (0 where none or no defect)."""
    face = nearest_face(mesh.vertices, mesh.faces, cam, width, height)
    return np.where(face >= 0, mesh.face_defect[np.maximum(face, 0)], 0)
