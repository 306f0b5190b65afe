// The REST writes the board makes (plain fetch; the SDK's live view makes the lists), and the
// emulator's control surface behind "Simulate network drop".

export function createApi(endpoint, project) {
  async function request(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': project },
      body: body && JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${new URL(url).pathname} answered ${response.status}`);
    return response.status === 204 ? null : response.json();
  }
  const documents = (collection) => `${endpoint}/databases/main/collections/${collection}/documents`;

  return {
    createDocument: (collection, data) => request('POST', documents(collection), {
      documentId: 'unique()',
      data,
      permissions: ['read("any")'],
    }),
    updateDocument: (collection, id, data) => request('PATCH', `${documents(collection)}/${id}`, { data }),
    deleteDocument: (collection, id) => request('DELETE', `${documents(collection)}/${id}`),
    dropConnections: () => request('POST', `${new URL(endpoint).origin}/_emulator/drop`, {}),
  };
}
