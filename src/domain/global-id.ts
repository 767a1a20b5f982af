/**
 * The one id form a client sees and passes back: the API's global id, base64 of `<Type>:<row id>`
 * (the encoding of @pothos/plugin-relay, which the GraphQL layer uses; a unit test keeps them equal).
 * Pure, so payloads built outside GraphQL (webhooks, email attachments) carry the same ids.
 */
export type NodeTypeName = 'Organization' | 'Operator' | 'Widget' | 'NotificationEvent' | 'Delivery' | 'InboxItem' | 'Addon';

export function globalIdOf(typename: NodeTypeName, id: string): string {
  return Buffer.from(`${typename}:${id}`, 'utf8').toString('base64');
}
